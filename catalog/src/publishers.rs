//! Producers: one publisher across every source that carries its records.
//!
//! Most producers publish through shared catalogues (a DDT inside Géo-IDE, an
//! organisation on data.gouv.fr), so a source is not a producer. Two publishers, as
//! records name them ([`PublisherRef`]), are the same producer when they share
//! - the same IRI, or
//! - the same SIREN (9 digits, or the first 9 of a 14-digit SIRET) found in an
//!   identifier or in the IRI, or the same other identifier, or
//! - the same normalised name (case, accents, punctuation and plurals folded, at least
//!   three letters).
//!
//! The rule is transitive (union of the three). Records without publisher are left
//! out. [`MERGE_RULE`] says it in French for the producer pages.
//!
//! Invariants: grouping is a pure function of record summaries (no I/O); slugs are
//! unique and depend only on the group's most frequent name (and its keys on a clash).

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::quality::{
    out_of_100, Band, Dimension, FixGroups, PublisherRef, RecordOrigin, RecordQuality,
};
use crate::vocab::text::normalize;

/// The merge rule, in French, as producer pages explain it.
pub const MERGE_RULE: &str = "Moisson regroupe sous un même producteur les fiches de tous les catalogues dont l'éditeur (dct:publisher, ou le contact « publisher » d'une fiche ISO 19139) a la même adresse (IRI), le même numéro SIREN ou identifiant, ou le même nom une fois la casse, les accents et la ponctuation ignorés. La règle est transitive : deux noms différents portés par la même adresse réunissent leurs fiches.";

/// One producer: a group of publishers and the records they publish.
#[derive(Debug, Clone, Serialize)]
pub struct Producer {
    /// URL slug, unique.
    pub slug: String,
    /// Display name (the most frequent name of the group).
    pub name: String,
    /// Every name the group's records give.
    pub names: Vec<String>,
    /// Publisher IRIs.
    pub iris: Vec<String>,
    /// SIRENs found.
    pub sirens: Vec<String>,
    /// Other identifiers.
    pub identifiers: Vec<String>,
    /// Number of records per source carrying them, by source id.
    pub sources: BTreeMap<String, usize>,
    /// Number of records (one per source copy).
    pub record_count: usize,
    /// Mean MQA points of the records (one decimal): the producer's score.
    pub points: f64,
    /// `points` brought to 100.
    pub score: f64,
    /// The band of `points`.
    pub band: Band,
    /// Its French word.
    pub band_label: &'static str,
}

/// A producer with its records, dimensions and fixes (`/producteurs/{slug}`).
#[derive(Debug, Clone, Serialize)]
pub struct ProducerQuality {
    /// The producer.
    #[serde(flatten)]
    pub producer: Producer,
    /// Per dimension: (id, French label, score out of 100 over what was measured, or
    /// `None` when less than half its points were measured).
    pub dimensions: Vec<ProducerDimension>,
    /// Fixes grouped by problem over every record of the producer.
    pub fix_groups: FixGroups,
    /// The merge rule.
    pub merge_rule: &'static str,
}

/// A dimension's score over a producer's records.
#[derive(Debug, Clone, Serialize)]
pub struct ProducerDimension {
    /// Stable id.
    pub id: &'static str,
    /// French label.
    pub label: &'static str,
    /// 0–100 on what was measured, `None` when « non mesuré ».
    pub score: Option<f64>,
    /// Share of its points that were measured.
    pub measured_share: Option<f64>,
}

/// The identity keys of one publisher reference.
fn keys(p: &PublisherRef) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(iri) = &p.iri {
        out.push(format!("iri:{}", iri.trim().trim_end_matches('/')));
        if let Some(siren) = siren_in(iri) {
            out.push(format!("siren:{siren}"));
        }
    }
    for id in &p.identifiers {
        match siren_in(id) {
            Some(siren) => out.push(format!("siren:{siren}")),
            None => out.push(format!("id:{}", id.trim().to_lowercase())),
        }
    }
    if let Some(name) = &p.name {
        let n = normalize(name);
        if n.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
            out.push(format!("name:{n}"));
        }
    }
    out
}

/// Returns the SIREN in `text`: a run of 9 digits, or of 14 (a SIRET, whose first 9
/// are the SIREN), spaces allowed, when the text is that number alone or names it
/// (`siren`, `siret` in it).
fn siren_in(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let names_it = lower.contains("siren") || lower.contains("siret");
    let mut runs = compact
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| r.len() == 9 || r.len() == 14);
    let run = runs.next()?;
    (names_it || run.len() == compact.len()).then(|| run[..9].to_owned())
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Groups the records of `records` by producer. Each group's records are given by
/// index into `records`.
pub fn group_producers(records: &[RecordQuality]) -> Vec<(Producer, Vec<usize>)> {
    let mut distinct: Vec<&PublisherRef> = Vec::new();
    let mut index_of: HashMap<&PublisherRef, usize> = HashMap::new();
    let mut record_ref: Vec<Option<usize>> = Vec::with_capacity(records.len());
    for r in records {
        record_ref.push(r.publisher.as_ref().map(|p| {
            *index_of.entry(p).or_insert_with(|| {
                distinct.push(p);
                distinct.len() - 1
            })
        }));
    }
    let mut parent: Vec<usize> = (0..distinct.len()).collect();
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, p) in distinct.iter().enumerate() {
        for k in keys(p) {
            match owner.get(&k) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    owner.insert(k, i);
                }
            }
        }
    }
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (ri, p) in record_ref.iter().enumerate() {
        if let Some(p) = p {
            let root = find(&mut parent, *p);
            members.entry(root).or_default().push(ri);
        }
    }
    let mut out: Vec<(Producer, Vec<usize>)> = members
        .into_values()
        .map(|idx| (producer_of(records, &idx), idx))
        .collect();
    unique_slugs(&mut out);
    out.sort_by(|a, b| {
        b.0.record_count
            .cmp(&a.0.record_count)
            .then(a.0.slug.cmp(&b.0.slug))
    });
    out
}

fn producer_of(records: &[RecordQuality], idx: &[usize]) -> Producer {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let (mut iris, mut sirens, mut identifiers) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    let mut points = 0.0;
    for &i in idx {
        let r = &records[i];
        points += r.points;
        *sources.entry(r.source.clone()).or_default() += 1;
        let Some(p) = &r.publisher else { continue };
        if let Some(n) = &p.name {
            *names.entry(n.trim().to_owned()).or_default() += 1;
        }
        if let Some(iri) = &p.iri {
            iris.insert(iri.clone());
            if let Some(s) = siren_in(iri) {
                sirens.insert(s);
            }
        }
        for id in &p.identifiers {
            match siren_in(id) {
                Some(s) => sirens.insert(s),
                None => identifiers.insert(id.clone()),
            };
        }
    }
    let name = names
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(n, _)| n.clone())
        .or_else(|| iris.iter().next().cloned())
        .unwrap_or_else(|| "Éditeur sans nom".to_owned());
    let points = (points / idx.len().max(1) as f64 * 10.0).round() / 10.0;
    let band = Band::of_points(points);
    Producer {
        slug: slugify(&name),
        name,
        names: names.into_keys().collect(),
        iris: iris.into_iter().collect(),
        sirens: sirens.into_iter().collect(),
        identifiers: identifiers.into_iter().collect(),
        sources,
        record_count: idx.len(),
        points,
        score: out_of_100(points),
        band,
        band_label: band.word(),
    }
}

/// Returns an ASCII slug of `name` (at most 80 characters).
fn slugify(name: &str) -> String {
    let mut out = String::new();
    for w in normalize_for_slug(name).split_whitespace() {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(w);
        if out.len() >= 80 {
            break;
        }
    }
    if out.is_empty() {
        "editeur".to_owned()
    } else {
        out.chars().take(80).collect()
    }
}

/// Lowercase ASCII letters and digits, accents folded, anything else a space.
fn normalize_for_slug(text: &str) -> String {
    let folded = normalize(text);
    folded
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

fn unique_slugs(groups: &mut [(Producer, Vec<usize>)]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for (p, _) in groups.iter() {
        *count.entry(p.slug.clone()).or_default() += 1;
    }
    for (p, _) in groups.iter_mut() {
        if count.get(&p.slug).copied().unwrap_or(0) > 1 {
            // Clashing names: a short hash of the group's identity keys tells them apart.
            let basis = format!("{:?}{:?}{:?}", p.iris, p.sirens, p.names);
            let h = blake3::hash(basis.as_bytes()).to_hex();
            p.slug = format!("{}-{}", p.slug, &h[..6]);
        }
    }
}

/// Returns the quality of `producer` over its records `idx` of `records`.
pub fn producer_quality(
    producer: Producer,
    records: &[RecordQuality],
    idx: &[usize],
    origin_of: &dyn Fn(&str) -> RecordOrigin,
) -> ProducerQuality {
    let mut dimensions = Vec::new();
    for (k, d) in Dimension::ALL.iter().enumerate() {
        let (mut earned, mut max) = (0.0, 0.0);
        for &i in idx {
            if let Some([e, m]) = records[i].dimensions.get(k) {
                earned += e;
                max += m;
            }
        }
        let possible = f64::from(d.max_points()) * idx.len() as f64;
        let share = (possible > 0.0).then(|| (max / possible).min(1.0));
        let measured = share.is_some_and(|s| s >= crate::quality::MIN_MEASURED_SHARE);
        dimensions.push(ProducerDimension {
            id: d.id(),
            label: d.label(),
            score: (max > 0.0 && measured).then(|| (1000.0 * earned / max).round() / 10.0),
            measured_share: share.map(|s| (s * 1000.0).round() / 1000.0),
        });
    }
    let fix_groups = crate::quality::group_fixes(idx.iter().map(|&i| &records[i]), origin_of);
    ProducerQuality {
        producer,
        dimensions,
        fix_groups,
        merge_rule: MERGE_RULE,
    }
}

/// The producers of a set of sources, read from their last quality runs.
#[derive(Debug, Clone, Default)]
pub struct Producers {
    /// Every record summary, of every source.
    pub records: Vec<RecordQuality>,
    /// Producers, most records first, with the indexes of their records.
    pub groups: Vec<(Producer, Vec<usize>)>,
}

impl Producers {
    /// Reads the record summaries of `sources` and groups them by producer.
    pub fn read(store: &crate::CatalogStore, sources: &[&str]) -> Result<Self, crate::StoreError> {
        let mut records = Vec::new();
        for s in sources {
            records.extend(store.record_qualities(s)?);
        }
        let groups = group_producers(&records);
        Ok(Self { records, groups })
    }

    /// Returns the producer `slug` and its records.
    pub fn find(&self, slug: &str) -> Option<(&Producer, Vec<&RecordQuality>)> {
        let (p, idx) = self.groups.iter().find(|(p, _)| p.slug == slug)?;
        Some((p, idx.iter().map(|&i| &self.records[i]).collect()))
    }

    /// Returns the quality of producer `slug`.
    pub fn quality(
        &self,
        slug: &str,
        origin_of: &dyn Fn(&str) -> RecordOrigin,
    ) -> Option<ProducerQuality> {
        let (p, idx) = self.groups.iter().find(|(p, _)| p.slug == slug)?;
        Some(producer_quality(p.clone(), &self.records, idx, origin_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, source: &str, p: PublisherRef, points: f64) -> RecordQuality {
        RecordQuality {
            id: id.into(),
            iri: format!("https://ex.org/{id}"),
            source: source.into(),
            title: id.into(),
            points,
            dimensions: Vec::new(),
            publisher: Some(p),
            fixes: Vec::new(),
        }
    }

    fn named(name: &str) -> PublisherRef {
        PublisherRef {
            name: Some(name.into()),
            ..PublisherRef::default()
        }
    }

    #[test]
    fn publishers_merge_on_iri_siren_or_normalised_name() {
        let ddtm = PublisherRef {
            iri: Some("https://annuaire.ex.org/ddtm-29".into()),
            name: Some("DDTM du Finistère".into()),
            identifiers: Vec::new(),
        };
        let by_siren_a = PublisherRef {
            name: Some("Région Bretagne".into()),
            identifiers: vec!["233 500 016".into()],
            ..PublisherRef::default()
        };
        let by_siren_b = PublisherRef {
            iri: Some("https://entreprise.data.gouv.fr/siren/233500016".into()),
            name: Some("Conseil régional".into()),
            identifiers: Vec::new(),
        };
        let records = vec![
            record("a", "geo-ide", ddtm.clone(), 300.0),
            record("b", "datagouv", named("DDTM DU FINISTERE"), 200.0),
            record("c", "geo-ide", named("ddtm du finistère."), 100.0),
            record("d", "datagouv", by_siren_a, 400.0),
            record("e", "region", by_siren_b, 200.0),
            record("f", "region", named("Autre producteur"), 50.0),
            RecordQuality {
                publisher: None,
                ..record("g", "region", named("x"), 10.0)
            },
        ];
        let groups = group_producers(&records);
        assert_eq!(groups.len(), 3, "{groups:#?}");
        let ddtm = &groups[0].0;
        assert_eq!(ddtm.record_count, 3);
        assert_eq!(ddtm.sources.len(), 2);
        assert_eq!(ddtm.points, 200.0);
        assert_eq!(ddtm.band_label, "suffisant");
        assert_eq!(ddtm.slug, "ddtm-du-finistere");
        let region = groups.iter().find(|g| g.1.contains(&3)).expect("region");
        assert!(
            region.1.contains(&4),
            "SIREN in an identifier and in an IRI"
        );
        assert_eq!(region.0.sirens, vec!["233500016".to_owned()]);
        // No publisher, no producer.
        assert!(groups.iter().all(|g| !g.1.contains(&6)));
    }

    #[test]
    fn sirens_are_read_only_where_they_are_meant() {
        assert_eq!(siren_in("130 025 265").as_deref(), Some("130025265"));
        assert_eq!(
            siren_in("SIRET 13002526500013").as_deref(),
            Some("130025265")
        );
        assert_eq!(siren_in("https://ex.org/jdd/123456789"), None);
        assert_eq!(siren_in("FR-123456789"), None);
    }

    #[test]
    fn clashing_slugs_are_told_apart() {
        let records = vec![
            record("a", "s", named("Mairie"), 1.0),
            record("b", "s", named("Commune"), 1.0),
        ];
        let mut groups = group_producers(&records);
        assert_eq!(groups.len(), 2);
        groups[1].0.slug = groups[0].0.slug.clone();
        unique_slugs(&mut groups);
        assert_ne!(groups[0].0.slug, groups[1].0.slug);
        assert!(
            groups[0].0.slug.starts_with("commune-") || groups[0].0.slug.starts_with("mairie-")
        );
    }
}
