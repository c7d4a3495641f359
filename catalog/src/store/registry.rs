//! The record registry: which graph is the current version of which record of which
//! source, and whether it is active or withdrawn.
//!
//! Each entry is a handful of quads in the metadata graph, about the record graph's IRI:
//! `rdf:type moisson:RecordGraph`, `moisson:source`, `moisson:record`, `moisson:datasetId`,
//! `moisson:hash` (the JSON entry), and `moisson:withdrawnAt` while withdrawn. Page
//! fingerprints (`moisson:Page`) let a re-harvest skip a byte-identical page.

use oxigraph::model::{Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::{meta_graph, named, CatalogStore, StoreError};
use crate::model::{JobReport, RecordKind};
use crate::vocab::{moisson, rdf};

/// Whether a registry entry is visible to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Visible in search, API and export.
    Active,
    /// No longer in its source; hidden, kept until the grace period ends.
    Withdrawn,
}

/// One registry entry: the current version of one record of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// The record graph holding this version.
    pub graph: String,
    /// The source the record was harvested from.
    pub source: String,
    /// The record's IRI as harvested (or the skolem IRI of a blank-node record).
    pub record_iri: String,
    /// The stable public id ([`crate::dataset_id`] of the IRI).
    pub dataset_id: String,
    /// Kind of record.
    pub kind: RecordKind,
    /// Content hash of this version.
    pub hash: String,
    /// URL of the page it was last read from.
    pub page_url: String,
    /// First harvested, RFC 3339.
    pub first_seen: String,
    /// Last changed by a harvest, RFC 3339.
    pub last_changed: String,
    /// Visible or withdrawn.
    pub state: RecordState,
    /// When it was withdrawn, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
}

/// What one harvest changes in the registry, applied in one transaction.
#[derive(Debug, Default)]
pub struct HarvestCommit {
    /// New entries and new versions (their graphs must already be written).
    pub upserts: Vec<RecordEntry>,
    /// Entries whose metadata changed but whose graph did not (page moved, restored,
    /// withdrawn): the new entry replaces the old one.
    pub updates: Vec<RecordEntry>,
    /// Entries to delete together with their graph (grace period over).
    pub purges: Vec<RecordEntry>,
    /// Graphs no longer referenced (previous versions of updated records).
    pub dropped_graphs: Vec<String>,
    /// Page fingerprints to store: (page URL, body hash).
    pub pages: Vec<(String, String)>,
    /// The job report to store with the commit.
    pub job: Option<JobReport>,
}

/// How many records a source holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    /// Active `dcat:Dataset` records.
    pub datasets: u64,
    /// Active `dcat:DataService` records.
    pub services: u64,
    /// Active `dcat:DatasetSeries` records.
    pub series: u64,
    /// Withdrawn records still in their grace period.
    pub withdrawn: u64,
}

fn entry_subject(entry: &RecordEntry) -> NamedNode {
    NamedNode::new_unchecked(entry.graph.clone())
}

fn entry_quads(entry: &RecordEntry) -> Result<Vec<Quad>, StoreError> {
    let s = entry_subject(entry);
    let g = meta_graph().into_owned();
    let json = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut quads = vec![
        Quad::new(
            s.clone(),
            named(rdf::TYPE),
            named(moisson::RECORD_GRAPH),
            g.clone(),
        ),
        Quad::new(
            s.clone(),
            named(moisson::SOURCE),
            Literal::new_simple_literal(&entry.source),
            g.clone(),
        ),
        Quad::new(
            s.clone(),
            named(moisson::RECORD),
            record_term(&entry.record_iri),
            g.clone(),
        ),
        Quad::new(
            s.clone(),
            named(moisson::DATASET_ID),
            Literal::new_simple_literal(&entry.dataset_id),
            g.clone(),
        ),
        Quad::new(
            s.clone(),
            named(moisson::HASH),
            Literal::new_simple_literal(json),
            g.clone(),
        ),
    ];
    if let Some(at) = &entry.withdrawn_at {
        quads.push(Quad::new(
            s,
            named(moisson::WITHDRAWN_AT),
            Literal::new_simple_literal(at),
            g,
        ));
    }
    Ok(quads)
}

fn record_term(iri: &str) -> Term {
    match NamedNode::new(iri) {
        Ok(n) => n.into(),
        Err(_) => Literal::new_simple_literal(iri).into(),
    }
}

impl CatalogStore {
    fn entries_where(
        &self,
        predicate: &'static str,
        value: &str,
    ) -> Result<Vec<RecordEntry>, StoreError> {
        let literal = Literal::new_simple_literal(value);
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(named(predicate)),
            Some(literal.as_ref().into()),
            Some(meta_graph()),
        ) {
            let quad = quad?;
            if let NamedOrBlankNode::NamedNode(subject) = &quad.subject {
                if let Some(entry) = self.entry_of(subject.as_ref())? {
                    out.push(entry);
                }
            }
        }
        Ok(out)
    }

    fn entry_of(&self, graph: NamedNodeRef<'_>) -> Result<Option<RecordEntry>, StoreError> {
        for quad in self.store.quads_for_pattern(
            Some(graph.into()),
            Some(named(moisson::HASH)),
            None,
            Some(meta_graph()),
        ) {
            let quad = quad?;
            if let Term::Literal(l) = &quad.object {
                let entry = serde_json::from_str(l.value())
                    .map_err(|e| StoreError::Corrupt(format!("registry entry {graph}: {e}")))?;
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// Returns the registry of `source`, keyed by record IRI.
    pub fn registry(&self, source: &str) -> Result<HashMap<String, RecordEntry>, StoreError> {
        let mut map = HashMap::new();
        for entry in self.entries_where(moisson::SOURCE, source)? {
            map.insert(entry.record_iri.clone(), entry);
        }
        Ok(map)
    }

    /// Returns every active entry of every source, sorted by source then record IRI.
    pub fn active_entries(&self) -> Result<Vec<RecordEntry>, StoreError> {
        let mut out = Vec::new();
        for quad in
            self.store
                .quads_for_pattern(None, Some(named(moisson::HASH)), None, Some(meta_graph()))
        {
            let quad = quad?;
            if let Term::Literal(l) = &quad.object {
                let entry: RecordEntry = serde_json::from_str(l.value())
                    .map_err(|e| StoreError::Corrupt(format!("registry entry: {e}")))?;
                if entry.state == RecordState::Active {
                    out.push(entry);
                }
            }
        }
        out.sort_by(|a, b| (&a.source, &a.record_iri).cmp(&(&b.source, &b.record_iri)));
        Ok(out)
    }

    /// Returns the active entries whose public id is `dataset_id` (one per source holding it).
    pub fn entries_for_dataset(&self, dataset_id: &str) -> Result<Vec<RecordEntry>, StoreError> {
        let mut entries = self.entries_where(moisson::DATASET_ID, dataset_id)?;
        entries.retain(|e| e.state == RecordState::Active);
        entries.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(entries)
    }

    /// Returns how many active and withdrawn records `source` holds.
    pub fn source_counts(&self, source: &str) -> Result<SourceCounts, StoreError> {
        let mut counts = SourceCounts::default();
        for entry in self.entries_where(moisson::SOURCE, source)? {
            match (entry.state, entry.kind) {
                (RecordState::Withdrawn, _) => counts.withdrawn += 1,
                (RecordState::Active, RecordKind::Dataset) => counts.datasets += 1,
                (RecordState::Active, RecordKind::Service) => counts.services += 1,
                (RecordState::Active, RecordKind::Series) => counts.series += 1,
            }
        }
        Ok(counts)
    }

    /// Returns the stored page fingerprints of `source`: page URL → body hash.
    pub fn page_fingerprints(&self, source: &str) -> Result<HashMap<String, String>, StoreError> {
        let mut out = HashMap::new();
        let prefix = format!("{}{source}:", moisson::PAGE_PREFIX);
        for quad in self.store.quads_for_pattern(
            None,
            Some(named(moisson::PAGE_HASH)),
            None,
            Some(meta_graph()),
        ) {
            let quad = quad?;
            let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
                continue;
            };
            let Some(url) = subject.as_str().strip_prefix(&prefix) else {
                continue;
            };
            if let Term::Literal(l) = &quad.object {
                out.insert(decode_page_key(url), l.value().to_owned());
            }
        }
        Ok(out)
    }

    /// Applies one harvest's registry changes, and stores its job report, atomically.
    pub fn commit_harvest(&self, source: &str, commit: &HarvestCommit) -> Result<(), StoreError> {
        let mut tx = self.store.start_transaction()?;
        for entry in commit
            .upserts
            .iter()
            .chain(&commit.updates)
            .chain(&commit.purges)
        {
            let subject = entry_subject(entry);
            let old: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(subject.as_ref().into()),
                    None,
                    None,
                    Some(meta_graph()),
                )
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
        }
        for graph in &commit.dropped_graphs {
            let node = NamedNode::new_unchecked(graph.clone());
            let old: Vec<Quad> = tx
                .quads_for_pattern(Some(node.as_ref().into()), None, None, Some(meta_graph()))
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
            tx.remove_named_graph(node.as_ref())?;
        }
        for entry in &commit.purges {
            tx.remove_named_graph(entry_subject(entry).as_ref())?;
        }
        for entry in commit.upserts.iter().chain(&commit.updates) {
            for q in entry_quads(entry)? {
                tx.insert(&q);
            }
        }
        let g = meta_graph().into_owned();
        for (url, hash) in &commit.pages {
            let subject = NamedNode::new_unchecked(format!(
                "{}{source}:{}",
                moisson::PAGE_PREFIX,
                encode_page_key(url)
            ));
            let old: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(subject.as_ref().into()),
                    None,
                    None,
                    Some(meta_graph()),
                )
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
            tx.insert(&Quad::new(
                subject,
                named(moisson::PAGE_HASH),
                Literal::new_simple_literal(hash),
                g.clone(),
            ));
        }
        if let Some(job) = &commit.job {
            self.job_into_tx(&mut tx, job)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes record graphs that no registry entry names (left by an interrupted harvest)
    /// and returns how many were removed.
    pub fn collect_garbage(&self) -> Result<usize, StoreError> {
        let mut referenced = std::collections::HashSet::new();
        for quad in
            self.store
                .quads_for_pattern(None, Some(named(moisson::HASH)), None, Some(meta_graph()))
        {
            if let NamedOrBlankNode::NamedNode(s) = quad?.subject {
                referenced.insert(s.into_string());
            }
        }
        let mut orphans = Vec::new();
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(g) = graph? {
                if g.as_str().starts_with(moisson::RECORD_GRAPH_PREFIX)
                    && !referenced.contains(g.as_str())
                {
                    orphans.push(g);
                }
            }
        }
        for g in &orphans {
            self.store.remove_named_graph(g)?;
        }
        Ok(orphans.len())
    }

    /// Returns true when graph `graph` holds at least one quad.
    pub fn graph_exists(&self, graph: &str) -> Result<bool, StoreError> {
        let node = NamedNode::new_unchecked(graph);
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(node.as_ref().into()))
            .next()
            .transpose()?
            .is_some())
    }
}

/// Percent-encodes a page URL so that it can end an IRI.
fn encode_page_key(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_page_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&key[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_round_trip() {
        for url in ["http://a.b/c?page=2&x=é", "https://x/y z%"] {
            assert_eq!(decode_page_key(&encode_page_key(url)), url);
        }
    }
}
