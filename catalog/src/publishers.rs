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
use std::sync::Arc;

use crate::quality::{
    out_of_100, Band, Dimension, FixGroups, FixTally, PublisherRef, RecordOrigin, RecordQuality,
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

/// What the records of one publisher reference add up to.
#[derive(Debug, Clone, Default)]
struct Tally {
    records: usize,
    points: f64,
    sources: BTreeMap<String, usize>,
    /// (earned, at stake) per dimension, in [`Dimension::ALL`] order.
    dimensions: [[f64; 2]; Dimension::ALL.len()],
    fixes: FixTally,
}

impl Tally {
    fn add(&mut self, r: &RecordQuality, origin: RecordOrigin) {
        self.records += 1;
        self.points += r.points;
        match self.sources.get_mut(r.source.as_str()) {
            Some(n) => *n += 1,
            None => {
                self.sources.insert(r.source.clone(), 1);
            }
        }
        for (sum, [earned, max]) in self.dimensions.iter_mut().zip(&r.dimensions) {
            sum[0] += earned;
            sum[1] += max;
        }
        self.fixes.add(r, origin);
    }

    fn merge(&mut self, other: Tally) {
        self.records += other.records;
        self.points += other.points;
        for (s, n) in other.sources {
            *self.sources.entry(s).or_default() += n;
        }
        for (sum, [earned, max]) in self.dimensions.iter_mut().zip(other.dimensions) {
            sum[0] += earned;
            sum[1] += max;
        }
        self.fixes.merge(other.fixes);
    }
}

/// Producers grouped from record summaries given one at a time: only each distinct
/// publisher reference and what its records add up to are held (a few hundred at
/// national scale), never the records.
#[derive(Debug, Default)]
pub struct ProducerGrouping {
    refs: Vec<(PublisherRef, Tally)>,
    index_of: HashMap<PublisherRef, usize>,
}

impl ProducerGrouping {
    /// Counts record `r`, of a source whose records reached us as `origin` (records
    /// without publisher belong to no producer).
    pub fn add(&mut self, r: &RecordQuality, origin: RecordOrigin) {
        let Some(p) = &r.publisher else { return };
        let at = match self.index_of.get(p) {
            Some(&at) => at,
            None => {
                self.refs.push((p.clone(), Tally::default()));
                self.index_of.insert(p.clone(), self.refs.len() - 1);
                self.refs.len() - 1
            }
        };
        self.refs[at].1.add(r, origin);
    }

    /// Counts what `other` counted, as if its records were added after those counted here
    /// (publisher references keep the order they first appeared in).
    pub fn merge(&mut self, other: &ProducerGrouping) {
        for (p, tally) in &other.refs {
            match self.index_of.get(p) {
                Some(&at) => self.refs[at].1.merge(tally.clone()),
                None => {
                    self.refs.push((p.clone(), tally.clone()));
                    self.index_of.insert(p.clone(), self.refs.len() - 1);
                }
            }
        }
    }

    /// Groups the record summaries of `source`, whose records reached us as `origin`,
    /// read one chunk at a time.
    fn of_source(
        store: &crate::CatalogStore,
        source: &str,
        origin: RecordOrigin,
    ) -> Result<Self, crate::StoreError> {
        let mut grouping = Self::default();
        store.for_each_record_quality(source, |r| {
            grouping.add(&r, origin);
            Ok::<_, crate::StoreError>(())
        })?;
        Ok(grouping)
    }

    /// The producers: publisher references sharing an identity key merged (transitively),
    /// most records first.
    pub fn finish(self) -> Producers {
        let mut parent: Vec<usize> = (0..self.refs.len()).collect();
        let mut owner: HashMap<String, usize> = HashMap::new();
        for (i, (p, _)) in self.refs.iter().enumerate() {
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
        for i in 0..self.refs.len() {
            let root = find(&mut parent, i);
            members.entry(root).or_default().push(i);
        }
        let mut refs: Vec<Option<(PublisherRef, Tally)>> =
            self.refs.into_iter().map(Some).collect();
        let mut groups: Vec<(ProducerQuality, Vec<PublisherRef>)> = members
            .into_values()
            .map(|idx| {
                let group: Vec<(PublisherRef, Tally)> =
                    idx.iter().filter_map(|&i| refs[i].take()).collect();
                producer_of(group)
            })
            .collect();
        unique_slugs(&mut groups);
        groups.sort_by(|a, b| {
            b.0.producer
                .record_count
                .cmp(&a.0.producer.record_count)
                .then(a.0.producer.slug.cmp(&b.0.producer.slug))
        });
        let mut member = HashMap::new();
        let mut out = Vec::with_capacity(groups.len());
        for (at, (quality, publishers)) in groups.into_iter().enumerate() {
            member.extend(publishers.into_iter().map(|p| (p, at)));
            out.push(quality);
        }
        Producers {
            groups: out,
            member,
        }
    }
}

/// The producer of the publisher references `group`, with its quality.
fn producer_of(group: Vec<(PublisherRef, Tally)>) -> (ProducerQuality, Vec<PublisherRef>) {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let (mut iris, mut sirens, mut identifiers) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut total = Tally::default();
    let mut publishers = Vec::with_capacity(group.len());
    for (p, tally) in group {
        if let Some(n) = &p.name {
            *names.entry(n.trim().to_owned()).or_default() += tally.records;
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
        total.merge(tally);
        publishers.push(p);
    }
    let name = names
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(n, _)| n.clone())
        .or_else(|| iris.iter().next().cloned())
        .unwrap_or_else(|| "Éditeur sans nom".to_owned());
    let records = total.records.max(1) as f64;
    let points = (total.points / records * 10.0).round() / 10.0;
    let band = Band::of_points(points);
    let producer = Producer {
        slug: slugify(&name),
        name,
        names: names.into_keys().collect(),
        iris: iris.into_iter().collect(),
        sirens: sirens.into_iter().collect(),
        identifiers: identifiers.into_iter().collect(),
        sources: total.sources,
        record_count: total.records,
        points,
        score: out_of_100(points),
        band,
        band_label: band.word(),
    };
    let dimensions = Dimension::ALL
        .iter()
        .zip(total.dimensions)
        .map(|(d, [earned, max])| {
            let possible = f64::from(d.max_points()) * total.records as f64;
            let share = (possible > 0.0).then(|| (max / possible).min(1.0));
            let measured = share.is_some_and(|s| s >= crate::quality::MIN_MEASURED_SHARE);
            ProducerDimension {
                id: d.id(),
                label: d.label(),
                score: (max > 0.0 && measured).then(|| (1000.0 * earned / max).round() / 10.0),
                measured_share: share.map(|s| (s * 1000.0).round() / 1000.0),
            }
        })
        .collect();
    let quality = ProducerQuality {
        producer,
        dimensions,
        fix_groups: total.fixes.finish(),
        merge_rule: MERGE_RULE,
    };
    (quality, publishers)
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

fn unique_slugs(groups: &mut [(ProducerQuality, Vec<PublisherRef>)]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for (q, _) in groups.iter() {
        *count.entry(q.producer.slug.clone()).or_default() += 1;
    }
    for (q, _) in groups.iter_mut() {
        let p = &mut q.producer;
        if count.get(&p.slug).copied().unwrap_or(0) > 1 {
            // Clashing names: a short hash of the group's identity keys tells them apart.
            let basis = format!("{:?}{:?}{:?}", p.iris, p.sirens, p.names);
            let h = blake3::hash(basis.as_bytes()).to_hex();
            p.slug = format!("{}-{}", p.slug, &h[..6]);
        }
    }
}

/// The producers of a set of sources, grouped from their last quality runs.
#[derive(Debug, Clone, Default)]
pub struct Producers {
    /// Producers with their quality, most records first.
    pub groups: Vec<ProducerQuality>,
    /// Each publisher reference → its producer in `groups`.
    member: HashMap<PublisherRef, usize>,
}

impl Producers {
    /// Reads the record summaries of `sources` (each with how its records reached us)
    /// one chunk at a time and groups them by producer.
    pub fn read(
        store: &crate::CatalogStore,
        sources: &[(&str, RecordOrigin)],
    ) -> Result<Self, crate::StoreError> {
        Self::merged(sources, |source, origin| {
            ProducerGrouping::of_source(store, source, origin).map(Arc::new)
        })
    }

    /// The producers of `sources`, from each source's grouping as `of_source` gives it.
    fn merged(
        sources: &[(&str, RecordOrigin)],
        mut of_source: impl FnMut(
            &str,
            RecordOrigin,
        ) -> Result<Arc<ProducerGrouping>, crate::StoreError>,
    ) -> Result<Self, crate::StoreError> {
        let mut grouping = ProducerGrouping::default();
        for &(source, origin) in sources {
            grouping.merge(&*of_source(source, origin)?);
        }
        Ok(grouping.finish())
    }

    /// Groups `records`; `origin_of` says how each source's records reached us.
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = &'a RecordQuality>,
        origin_of: &dyn Fn(&str) -> RecordOrigin,
    ) -> Self {
        let mut grouping = ProducerGrouping::default();
        for r in records {
            grouping.add(r, origin_of(&r.source));
        }
        grouping.finish()
    }

    /// Returns the producer `slug` with its quality.
    pub fn find(&self, slug: &str) -> Option<&ProducerQuality> {
        self.groups.iter().find(|q| q.producer.slug == slug)
    }

    /// Returns true when `r` is a record of producer `slug`.
    pub fn is_of(&self, r: &RecordQuality, slug: &str) -> bool {
        r.publisher
            .as_ref()
            .and_then(|p| self.member.get(p))
            .is_some_and(|&at| self.groups[at].producer.slug == slug)
    }

    /// Calls `each` with every record of producer `slug`, read from the summaries of
    /// the sources carrying them one chunk at a time; false when there is no such
    /// producer.
    pub fn for_each_record<E: From<crate::StoreError>>(
        &self,
        store: &crate::CatalogStore,
        slug: &str,
        mut each: impl FnMut(RecordQuality) -> Result<(), E>,
    ) -> Result<bool, E> {
        let Some(at) = self.groups.iter().position(|q| q.producer.slug == slug) else {
            return Ok(false);
        };
        for source in self.groups[at].producer.sources.keys() {
            store.for_each_record_quality(source, |r| -> Result<(), E> {
                let mine = r
                    .publisher
                    .as_ref()
                    .and_then(|p| self.member.get(p))
                    .is_some_and(|&m| m == at);
                if mine {
                    each(r)?;
                }
                Ok(())
            })?;
        }
        Ok(true)
    }
}

/// Source ids with how each source's records reached us.
type SourcesAndOrigins = Vec<(String, RecordOrigin)>;

/// The producers last grouped and the sources (with how their records reached us) they
/// were grouped from, and each source's grouping (by source and origin); a rewrite of a
/// source's record summaries drops the producers and that source's grouping (a grouping
/// under way holds the lock, so they are dropped after it, never kept stale).
#[derive(Debug, Default)]
pub(crate) struct ProducersCache {
    grouped: Option<(SourcesAndOrigins, Arc<Producers>)>,
    by_source: HashMap<(String, RecordOrigin), Arc<ProducerGrouping>>,
}

impl crate::CatalogStore {
    /// The producers of `sources` (each with how its records reached us), grouped from
    /// their last quality runs once per change of the record summaries (a quality run)
    /// or of the sources. Every producer page and API answer starts here: grouping reads
    /// every summary (1,000,000 at national scale: 3.7 s and 1.3 GB when each request did
    /// it, 5.1 GB for four at once), so it is done once and concurrent requests wait for it.
    /// Each source's grouping (its publisher references with their sums: a few hundred)
    /// is kept too: after a source's quality run, only that source's summaries are read
    /// again, and the groupings merged (every summary of every source was read again:
    /// 1.9 s at 1,025,000 records after a 200-record source's run).
    pub fn producers(
        &self,
        sources: &[(&str, RecordOrigin)],
    ) -> Result<Arc<Producers>, crate::StoreError> {
        let mut cache = self
            .producers
            .lock()
            .map_err(|_| crate::StoreError::Corrupt("producers cache poisoned".into()))?;
        if let Some((from, producers)) = &cache.grouped {
            let same = from.len() == sources.len()
                && from
                    .iter()
                    .zip(sources)
                    .all(|((a, oa), (b, ob))| a == b && oa == ob);
            if same {
                return Ok(producers.clone());
            }
        }
        let producers = Arc::new(Producers::merged(sources, |source, origin| {
            let key = (source.to_owned(), origin);
            if let Some(kept) = cache.by_source.get(&key) {
                return Ok(kept.clone());
            }
            let read = Arc::new(ProducerGrouping::of_source(self, source, origin)?);
            cache.by_source.insert(key, read.clone());
            Ok(read)
        })?);
        // Sources no longer asked for (removed from the configuration) are let go.
        cache
            .by_source
            .retain(|(s, o), _| sources.iter().any(|&(a, b)| a == s && b == *o));
        let from = sources.iter().map(|&(s, o)| (s.to_owned(), o)).collect();
        cache.grouped = Some((from, producers.clone()));
        Ok(producers)
    }

    /// Marks the producers grouped so far, and the grouping of `source`, stale (its
    /// summaries changed).
    pub(crate) fn summaries_changed(&self, source: &str) {
        self.fix_lists
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .summaries_changed(source);
        if let Ok(mut cache) = self.producers.lock() {
            cache.grouped = None;
            cache.by_source.retain(|(s, _), _| s != source);
        }
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
        let producers = Producers::from_records(&records, &|_| RecordOrigin::Dcat);
        let groups = &producers.groups;
        assert_eq!(groups.len(), 3, "{groups:#?}");
        let ddtm = &groups[0].producer;
        assert_eq!(ddtm.record_count, 3);
        assert_eq!(ddtm.sources.len(), 2);
        assert_eq!(ddtm.points, 200.0);
        assert_eq!(ddtm.band_label, "suffisant");
        assert_eq!(ddtm.slug, "ddtm-du-finistere");
        assert_eq!(
            ddtm.name, "DDTM DU FINISTERE",
            "names tied: the first in order"
        );
        for r in &records[..3] {
            assert!(producers.is_of(r, "ddtm-du-finistere"), "{}", r.id);
        }
        let region = groups
            .iter()
            .find(|g| producers.is_of(&records[3], &g.producer.slug))
            .expect("region");
        assert!(
            producers.is_of(&records[4], &region.producer.slug),
            "SIREN in an identifier and in an IRI"
        );
        assert_eq!(region.producer.sirens, vec!["233500016".to_owned()]);
        assert_eq!(region.producer.record_count, 2);
        // No publisher, no producer.
        assert!(groups
            .iter()
            .all(|g| !producers.is_of(&records[6], &g.producer.slug)));
        assert_eq!(
            groups
                .iter()
                .map(|g| g.producer.record_count)
                .sum::<usize>(),
            6
        );
    }

    /// A producer's dimensions and grouped fixes over its records, whatever the order
    /// the records come in, and its records read back from the store.
    #[test]
    fn a_producer_adds_up_its_records_and_reads_them_back() {
        use crate::quality::{Blame, Fix, IndicatorId, RunSummaries};
        let fix = |indicator, points, counted| Fix {
            indicator,
            points,
            counted,
            blame: Blame::Source,
            detail: None,
        };
        let mut records: Vec<RecordQuality> = (0..5_000)
            .map(|i| RecordQuality {
                dimensions: Dimension::ALL
                    .iter()
                    .map(|d| [f64::from(i % 7), f64::from(d.max_points())])
                    .collect(),
                fixes: if i % 2 == 0 {
                    vec![fix(IndicatorId::AccessRights, 10.0, true)]
                } else {
                    vec![fix(IndicatorId::TitleQuality, 0.0, false)]
                },
                ..record(
                    &format!("d{i:04}"),
                    if i % 3 == 0 { "a" } else { "b" },
                    if i % 5 == 0 {
                        named("DDT 29")
                    } else {
                        named("Ddt  29.")
                    },
                    f64::from(i % 11) * 30.0,
                )
            })
            .collect();
        records.push(record("other", "a", named("Autre"), 1.0));
        let origin = |s: &str| {
            if s == "a" {
                RecordOrigin::Iso19139Mapping
            } else {
                RecordOrigin::Dcat
            }
        };
        let one = Producers::from_records(&records, &origin);
        let reversed = Producers::from_records(records.iter().rev(), &origin);
        let q = one.find("ddt-29").expect("merged by name");
        let r = reversed.find("ddt-29").expect("merged by name");
        assert_eq!(q.producer.record_count, 5_000);
        assert_eq!(
            q.producer.sources,
            BTreeMap::from([("a".into(), 1_667), ("b".into(), 3_333)])
        );
        assert_eq!(q.producer.name, "Ddt  29.", "the most frequent name");
        assert_eq!(q.fix_groups.records_to_fix, 2_500);
        assert_eq!(q.fix_groups.counted[0].records, 2_500);
        assert_eq!(q.fix_groups.counted[0].points_total, 25_000.0);
        assert_eq!(q.fix_groups.apart[0].records, 2_500);
        // Earned i % 7 of each dimension's points, every point measured.
        let earned: f64 = (0..5_000).map(|i| f64::from(i % 7)).sum();
        for (d, got) in Dimension::ALL.iter().zip(&q.dimensions) {
            let max = f64::from(d.max_points()) * 5_000.0;
            let expected = (1000.0 * earned / max).round() / 10.0;
            assert_eq!(got.score, Some(expected), "{}", d.id());
            assert_eq!(got.measured_share, Some(1.0));
        }
        assert_eq!(serde_json::to_value(q).ok(), serde_json::to_value(r).ok());
        // Read back from the store: every record of the producer, none of another.
        let store = crate::CatalogStore::in_memory().expect("store");
        for source in ["a", "b"] {
            let mut run = RunSummaries::default();
            for r in records.iter().filter(|r| r.source == source) {
                run.add(r).expect("added");
            }
            store.save_record_qualities(source, run).expect("saved");
        }
        let stored =
            Producers::read(&store, &[("a", origin("a")), ("b", origin("b"))]).expect("read");
        assert_eq!(
            serde_json::to_value(&stored.groups).ok(),
            serde_json::to_value(&one.groups).ok()
        );
        let mut seen = Vec::new();
        let found = stored
            .for_each_record(&store, "ddt-29", |r| {
                seen.push(r.id);
                Ok::<_, crate::StoreError>(())
            })
            .expect("read");
        assert!(found);
        seen.sort();
        let mut expected: Vec<String> = records[..5_000].iter().map(|r| r.id.clone()).collect();
        expected.sort();
        assert_eq!(seen, expected);
        assert!(!stored
            .for_each_record(&store, "nobody", |_| Ok::<_, crate::StoreError>(()))
            .expect("read"));
    }

    /// The grouping is kept while nothing changes and redone after a source's summaries
    /// are rewritten, or for other sources.
    #[test]
    fn grouped_producers_follow_the_summaries_and_the_sources() {
        use crate::quality::RunSummaries;
        let store = crate::CatalogStore::in_memory().expect("store");
        let save = |source: &str, records: &[RecordQuality]| {
            let mut run = RunSummaries::default();
            for r in records {
                run.add(r).expect("added");
            }
            store.save_record_qualities(source, run).expect("saved");
        };
        save("a", &[record("a1", "a", named("DDT 29"), 100.0)]);
        save("b", &[record("b1", "b", named("DDT 29"), 300.0)]);
        let only_a = [("a", RecordOrigin::Dcat)];
        let both = [("a", RecordOrigin::Dcat), ("b", RecordOrigin::Dcat)];
        let first = store.producers(&only_a).expect("grouped");
        assert_eq!(first.groups[0].producer.record_count, 1);
        assert!(Arc::ptr_eq(
            &first,
            &store.producers(&only_a).expect("kept")
        ));
        let merged = store.producers(&both).expect("other sources");
        assert_eq!(merged.groups[0].producer.record_count, 2);
        assert_eq!(merged.groups[0].producer.points, 200.0);
        save(
            "b",
            &[
                record("b1", "b", named("DDT 29"), 300.0),
                record("b2", "b", named("DDT 29"), 500.0),
            ],
        );
        let kept = |source: &str| {
            store.producers.lock().expect("cache").by_source
                [&(source.to_owned(), RecordOrigin::Dcat)]
                .clone()
        };
        let a_before = kept("a");
        let after = store.producers(&both).expect("regrouped");
        assert_eq!(after.groups[0].producer.record_count, 3);
        assert_eq!(after.groups[0].producer.points, 300.0);
        assert!(
            Arc::ptr_eq(&a_before, &kept("a")),
            "a's grouping is kept through b's run"
        );
        // The same as grouping every source again, in another order of the sources too.
        let fresh = Producers::read(&store, &both).expect("read");
        assert_eq!(
            serde_json::to_value(&after.groups).ok(),
            serde_json::to_value(&fresh.groups).ok()
        );
        let reversed = [("b", RecordOrigin::Dcat), ("a", RecordOrigin::Dcat)];
        let other_order = store.producers(&reversed).expect("grouped");
        assert_eq!(other_order.groups[0].producer.record_count, 3);
        // A source no longer asked for is let go.
        store
            .producers(&[("b", RecordOrigin::Dcat)])
            .expect("grouped");
        assert_eq!(store.producers.lock().expect("cache").by_source.len(), 1);
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
        let mut groups: Vec<(ProducerQuality, Vec<PublisherRef>)> =
            Producers::from_records(&records, &|_| RecordOrigin::Dcat)
                .groups
                .into_iter()
                .map(|q| (q, Vec::new()))
                .collect();
        assert_eq!(groups.len(), 2);
        groups[1].0.producer.slug = groups[0].0.producer.slug.clone();
        unique_slugs(&mut groups);
        assert_ne!(groups[0].0.producer.slug, groups[1].0.producer.slug);
        assert!(
            groups[0].0.producer.slug.starts_with("commune-")
                || groups[0].0.producer.slug.starts_with("mairie-")
        );
    }
}
