//! Quality of a whole source: every active record assessed, the duplicate index built over
//! the federated catalogue, SHACL results reused for unchanged records, the report
//! stored as DQV.

use chrono::{DateTime, Utc};
use oxigraph::model::Term;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::fixes::group_fixes;
use super::graph::RecordGraph;
use super::record::{
    assess_record, AssessContext, ConformityIssue, LinkLookup, RecordAssessment, RecordOrigin,
};
use super::report::{build_report, SharedRecord, SourceQualityReport, SHARED_RECORDS_LIMIT};
use super::summary::RecordQuality;
use crate::store::{CatalogStore, RecordEntry, RecordState, StoreError};
use crate::vocab::dct;

/// Validates a record graph for the DCAT-AP compliance indicator.
pub trait Conformance: Sync {
    /// Identifies the shapes: cached results of other versions are recomputed.
    fn version(&self) -> &str;
    /// Returns the SHACL results of one record graph.
    fn check(&self, record: &RecordGraph) -> Vec<ConformityIssue>;
}

/// How to assess a source.
pub struct SourceAssessment<'a> {
    /// When the assessment runs (freshness is measured against its date).
    pub now: DateTime<Utc>,
    /// How the source's records reached us.
    pub origin: RecordOrigin,
    /// The validator, or `None` to leave DCAT-AP compliance not evaluated.
    pub conformance: Option<&'a dyn Conformance>,
    /// Link-check results.
    pub links: &'a dyn LinkLookup,
}

/// Identifiers too generic to mean "same dataset" (copy-pasted templates).
fn is_meaningful_identifier(id: &str) -> bool {
    let t = id.trim();
    let lower = t.to_lowercase();
    t.chars().count() >= 8
        && ![
            "a remplir",
            "a-remplir",
            "à remplir",
            "todo",
            "identifiant",
            "identifier",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// Returns, for each active record graph, the sources holding another record with the
/// same IRI or the same (meaningful) `dct:identifier`, compared as the search index
/// compares them to merge records (its own source when the copy is in the same one).
pub fn duplicate_index(
    store: &CatalogStore,
    entries: &[RecordEntry],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let mut keys_of: HashMap<&str, Vec<String>> = HashMap::with_capacity(entries.len());
    // Records holding each key, by source.
    let mut sources_of: HashMap<String, BTreeMap<&str, usize>> = HashMap::new();
    // Identifiers of graphs read by an earlier run are reused: only changed records are read.
    let mut known = store.take_identifiers();
    let mut current: HashMap<String, Arc<[String]>> = HashMap::with_capacity(entries.len());
    for e in entries.iter().filter(|e| e.state == RecordState::Active) {
        let identifiers = match known.remove(&e.graph) {
            Some(ids) => ids,
            None => {
                let mut ids = Vec::new();
                store.for_each_value(&e.graph, &[dct::IDENTIFIER], |subject, _, object| {
                    let about_record =
                        matches!(subject, Term::NamedNode(s) if s.as_str() == e.record_iri);
                    if let (true, Term::Literal(l)) = (about_record, object) {
                        if is_meaningful_identifier(l.value()) {
                            ids.push(l.value().trim().to_owned());
                        }
                    }
                })?;
                Arc::from(ids)
            }
        };
        // The search index's global keys (`crate::identifiers`), so that a record the
        // index merges with another is never « sans doublon »; plain identifiers as given.
        let mut keys = vec![crate::identifiers::record_key(&e.record_iri)];
        keys.extend(
            identifiers
                .iter()
                .map(|i| crate::identifiers::global_key(i).unwrap_or_else(|| format!("id:{i}"))),
        );
        // An identifier holding the record's own IRI is the same key, counted once.
        keys.sort();
        keys.dedup();
        current.insert(e.graph.clone(), identifiers);
        for k in &keys {
            *sources_of
                .entry(k.clone())
                .or_default()
                .entry(&e.source)
                .or_default() += 1;
        }
        keys_of.insert(&e.graph, keys);
    }
    store.keep_identifiers(current);
    let mut out = HashMap::new();
    for e in entries.iter().filter(|e| e.state == RecordState::Active) {
        let mut others = BTreeSet::new();
        for k in keys_of.get(e.graph.as_str()).into_iter().flatten() {
            // Another source, or another record of this one (the index merges both).
            for (s, records) in sources_of.get(k).into_iter().flatten() {
                if *s != e.source || *records > 1 {
                    others.insert(s.to_string());
                }
            }
        }
        if !others.is_empty() {
            out.insert(e.graph.clone(), others.into_iter().collect());
        }
    }
    Ok(out)
}

/// The records of `source` whose IRI another source publishes too, with the copy shown
/// (at most [`SHARED_RECORDS_LIMIT`]), and their number.
pub fn shared_records(active: &[RecordEntry], source: &str) -> (Vec<SharedRecord>, usize) {
    let mine: HashSet<&str> = active
        .iter()
        .filter(|e| e.source == source)
        .map(|e| e.record_iri.as_str())
        .collect();
    let mut copies: HashMap<&str, Vec<&RecordEntry>> = HashMap::new();
    for e in active
        .iter()
        .filter(|e| mine.contains(e.record_iri.as_str()))
    {
        copies.entry(e.record_iri.as_str()).or_default().push(e);
    }
    let mut shared: Vec<SharedRecord> = copies
        .into_iter()
        .filter(|(_, c)| c.iter().any(|e| e.source != source))
        .map(|(iri, mut c)| {
            c.sort_by(|a, b| crate::store::order_copies(a, b));
            SharedRecord {
                id: c[0].dataset_id.clone(),
                iri: iri.to_owned(),
                other_sources: c
                    .iter()
                    .filter(|e| e.source != source)
                    .map(|e| e.source.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                shown_from: c[0].source.clone(),
                same_content: c.iter().all(|e| e.hash == c[0].hash),
            }
        })
        .collect();
    let total = shared.len();
    // Conflicts first (different content), then by IRI.
    shared.sort_by(|a, b| a.same_content.cmp(&b.same_content).then(a.iri.cmp(&b.iri)));
    shared.truncate(SHARED_RECORDS_LIMIT);
    (shared, total)
}

/// Assesses every active record of `source`, stores the run (DQV, trend point, report)
/// and returns the report with its trend.
pub fn assess_source(
    store: &CatalogStore,
    source: &str,
    how: &SourceAssessment<'_>,
) -> Result<SourceQualityReport, StoreError> {
    let all = store.active_entries()?;
    let duplicates = duplicate_index(store, &all)?;
    let entries: Vec<&RecordEntry> = all.iter().filter(|e| e.source == source).collect();
    // SHACL results of unchanged record graphs are reused; the others are computed below,
    // from the same read of the record as its indicators, and cached.
    let known = match how.conformance {
        Some(validator) => {
            let graphs: Vec<&str> = entries.iter().map(|e| e.graph.as_str()).collect();
            store.cached_conformity(&graphs, validator.version())?
        }
        None => HashMap::new(),
    };
    let mut fresh: Vec<(String, Vec<ConformityIssue>)> = Vec::new();
    let today = how.now.date_naive();
    let mut records = Vec::with_capacity(entries.len());
    let none: Vec<String> = Vec::new();
    for e in &entries {
        let graph = RecordGraph::from_quads(&store.graph_quads(&e.graph)?);
        let computed = match (how.conformance, known.contains_key(&e.graph)) {
            (Some(validator), false) => Some(validator.check(&graph)),
            _ => None,
        };
        let context = AssessContext {
            today,
            origin: how.origin,
            conformity: computed
                .as_deref()
                .or_else(|| known.get(&e.graph).map(Vec::as_slice)),
            links: how.links,
            duplicate_sources: duplicates.get(&e.graph).unwrap_or(&none),
        };
        records.push((
            e.dataset_id.clone(),
            assess_record(&e.record_iri, e.kind, &graph, &context),
        ));
        if let Some(issues) = computed {
            fresh.push((e.graph.clone(), issues));
        }
    }
    // A read-only store (next to a running server) keeps neither the SHACL cache nor the run.
    let writable = !store.is_read_only();
    if let (Some(validator), true) = (how.conformance, writable) {
        for chunk in fresh.chunks(2000) {
            store.save_conformity(chunk, validator.version())?;
        }
    }
    let computed_at = how.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut report = build_report(source, &computed_at, &records);
    (report.shared_records, report.shared_records_total) = shared_records(&all, source);
    let summaries: Vec<RecordQuality> = records
        .iter()
        .map(|(id, a)| RecordQuality::from_assessment(id, source, a))
        .collect();
    report.fix_groups = group_fixes(&summaries, &|_| how.origin);
    if !writable {
        return Ok(report);
    }
    store.save_quality_run(&report, &records)?;
    store.save_record_qualities(source, &summaries)?;
    Ok(store.quality_report(source)?.unwrap_or(report))
}

/// Assesses records given as quads (offline validation of one document).
pub fn assess_records(
    records: &[(String, crate::model::RecordKind, Vec<oxigraph::model::Quad>)],
    how: &SourceAssessment<'_>,
) -> Vec<(String, RecordAssessment)> {
    let none: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(records.len());
    for (iri, kind, quads) in records {
        let graph = RecordGraph::from_quads(quads);
        let issues = how.conformance.map(|c| c.check(&graph));
        let context = AssessContext {
            today: how.now.date_naive(),
            origin: how.origin,
            conformity: issues.as_deref(),
            links: how.links,
            duplicate_sources: &none,
        };
        out.push((
            crate::model::dataset_id(iri),
            assess_record(iri, *kind, &graph, &context),
        ));
    }
    out
}
