//! From harvested records to search documents: deduplication across sources and the
//! document of one dataset.
//!
//! Deduplication: records are the same dataset when they share a key. Keys are the
//! record IRI and any IRI-shaped `dct:identifier` (global), a UUID-shaped identifier
//! (global: GeoNetwork UUIDs are how one dataset reaches many catalogues), and a plain
//! identifier only together with its publisher (real catalogues reuse "TODO" or
//! copy-pasted identifiers). Keys shared by implausibly many records are ignored.

use moisson_catalog::vocab::text::normalize;
use moisson_catalog::vocab::Vocabularies;
use moisson_catalog::{CatalogStore, DatasetView, RecordEntry, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::classify::{classify, Classification, SourceContexts};
use crate::normalize::{self, parse_date};

/// One harvested record: its registry entry and its view.
#[derive(Debug, Clone)]
pub struct Record {
    /// The registry entry.
    pub entry: RecordEntry,
    /// The record's DCAT-AP fields.
    pub view: DatasetView,
    /// Its score (0–100) at the last quality run of its source, if any.
    pub quality: Option<f64>,
}

impl Record {
    /// Reads the record of `entry` from the store; its `dct:subject` categories (ISO topic
    /// categories in GeoDCAT-AP) are added to its themes for classification.
    pub fn read(store: &CatalogStore, entry: RecordEntry) -> Result<Self, StoreError> {
        let (view, subjects) = store.view_and_subjects(&entry)?;
        let quality = store.record_score(&entry.source, &entry.record_iri)?;
        let mut record = Self::from_view(entry, view, subjects);
        record.quality = quality;
        Ok(record)
    }

    /// Builds the record of `entry` from its view and its `dct:subject` categories, added
    /// to its themes for classification (a document read outside any store, as
    /// `moisson classify` does, goes through here too).
    pub fn from_view(entry: RecordEntry, mut view: DatasetView, subjects: Vec<String>) -> Self {
        for subject in subjects {
            if !view.themes.contains(&subject) {
                view.themes.push(subject);
            }
        }
        Self {
            entry,
            view,
            quality: None,
        }
    }
}

/// Returns `view` (a dataset of the store) with the `dct:subject` categories of its
/// records added to its themes, as classification sees it.
pub fn classification_view(
    store: &CatalogStore,
    view: &DatasetView,
) -> Result<DatasetView, StoreError> {
    let mut out = view.clone();
    for entry in store.entries_for_dataset(&view.id)? {
        for subject in store.record_subjects(&entry)? {
            if !out.themes.contains(&subject) {
                out.themes.push(subject);
            }
        }
    }
    Ok(out)
}

/// A dataset as search results list it (SPEC field names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Dataset id.
    pub id: String,
    /// Dataset IRI.
    pub iri: String,
    /// `dataset`, `service` or `series`.
    pub kind: String,
    /// Title.
    pub title: Option<String>,
    /// Description, cut to 500 characters.
    pub description: Option<String>,
    /// Publisher name.
    pub publisher: Option<String>,
    /// Publisher kind (`ddt`, `dreal`…), when known.
    pub publisher_kind: Option<String>,
    /// Every source the dataset was harvested from.
    pub sources: Vec<String>,
    /// Theme and sub-theme slugs.
    pub themes: Vec<String>,
    /// Use-case slugs.
    pub use_cases: Vec<String>,
    /// Territory keys (`29`, `region-53`).
    pub territories: Vec<String>,
    /// Normalized formats.
    pub formats: Vec<String>,
    /// Normalized licence label.
    pub license: Option<String>,
    /// Modification date as given.
    pub modified: Option<String>,
    /// Quality score out of 100, when computed.
    pub quality_score: Option<f64>,
    /// Dataset ids of the records merged into this one, when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<String>,
    /// What its records claim under the EU high-value datasets regulation, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hvd: Option<moisson_catalog::hvd::HvdClaim>,
}

impl Summary {
    /// What Moisson assigned this dataset: its concepts (themes, sub-themes, use cases) and
    /// its places at every level (communes and EPCIs too), as `/catalog`, exports, dataset
    /// pages and the SPARQL classification graph name them.
    pub fn assigned(
        &self,
    ) -> (
        impl Iterator<Item = &'static moisson_catalog::vocab::Concept> + '_,
        impl Iterator<Item = moisson_catalog::vocab::places::Place> + '_,
    ) {
        let vocab = moisson_catalog::vocab::vocabularies();
        let concepts = self
            .themes
            .iter()
            .filter_map(|slug| vocab.themes.get(slug))
            .chain(
                self.use_cases
                    .iter()
                    .filter_map(|slug| vocab.use_cases.get(slug)),
            );
        let places = self
            .territories
            .iter()
            .filter_map(|key| moisson_catalog::vocab::places::place(key));
        (concepts, places)
    }
}

/// A document ready to index.
#[derive(Debug, Clone)]
pub struct SearchDocument {
    /// Document id: the smallest dataset id of its records (stable while they stay).
    pub id: String,
    /// Dataset ids of its records.
    pub members: Vec<String>,
    /// Deduplication keys of its records.
    pub keys: Vec<String>,
    /// Title.
    pub title: String,
    /// Keywords, one per line.
    pub keywords: String,
    /// Description.
    pub description: String,
    /// Publisher and classification labels.
    pub context: String,
    /// Facet values: (dimension, value).
    pub facets: Vec<(&'static str, String)>,
    /// Modification date, Unix seconds.
    pub modified: Option<i64>,
    /// Quality score.
    pub quality: Option<f64>,
    /// The summary returned by searches.
    pub summary: Summary,
    /// Themes, use cases and territories with their reasons, of the merged records.
    pub classification: Classification,
}

/// Keys held by more records than this (other than IRIs) are not identity keys.
const MAX_KEY_SHARE: usize = 1000;

/// Returns the deduplication keys of a record.
pub fn dedup_keys(view: &DatasetView) -> Vec<String> {
    // The global keys are catalog's, the ones the quality indicator « Pas de doublon »
    // reads too.
    let mut keys = vec![moisson_catalog::identifiers::record_key(&view.iri)];
    for id in view.identifiers.iter().take(20) {
        let id = id.trim();
        if id.len() > 500 {
            continue;
        }
        if let Some(key) = moisson_catalog::identifiers::global_key(id) {
            keys.push(key);
        } else if !is_placeholder(id) {
            if let Some(publisher) = view.publisher_iri.as_ref().or(view.publisher.as_ref()) {
                keys.push(format!(
                    "pid:{}|{}",
                    normalize(publisher),
                    id.to_lowercase()
                ));
            }
        }
    }
    // A data service is a duplicate of another service only, never of a dataset it
    // serves (they may share an identifier or a landing page).
    if view.kind == "service" {
        for k in &mut keys {
            k.insert_str(0, "service|");
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn is_placeholder(id: &str) -> bool {
    let n = normalize(id);
    n.chars().filter(char::is_ascii_alphanumeric).count() < 3
        || matches!(
            n.as_str(),
            "todo"
                | "a remplir"
                | "remplir"
                | "none"
                | "null"
                | "nan"
                | "inconnu"
                | "identifiant"
                | "identifier"
                | "test"
                | "xxx"
                | "xxxx"
                | "sans objet"
                | "non renseigne"
                | "undefined"
        )
}

/// Groups records that are the same dataset (union of records sharing a key).
pub fn group(records: Vec<Record>) -> Vec<Vec<Record>> {
    let keys: Vec<Vec<String>> = records.iter().map(|r| dedup_keys(&r.view)).collect();
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r.entry.dataset_id.as_str())
        .collect();
    let groups = group_indices(&ids, &keys);
    let mut slots: Vec<Option<Record>> = records.into_iter().map(Some).collect();
    groups
        .into_iter()
        .map(|members| {
            members
                .into_iter()
                .filter_map(|i| slots[i].take())
                .collect()
        })
        .collect()
}

/// Groups record indices: records with the same dataset id or sharing a key are one
/// dataset. Groups come out ordered by their smallest dataset id; members in index order.
pub fn group_indices(ids: &[&str], keys: &[Vec<String>]) -> Vec<Vec<usize>> {
    debug_assert_eq!(ids.len(), keys.len());
    let mut prints = KeyPrints::default();
    for ks in keys {
        prints.push(ks.iter().map(|k| key_print(k)).collect());
    }
    let groups = group_records(ids.len(), |i| ids[i], &prints);
    (0..groups.len())
        .map(|g| groups.members(g).iter().map(|&i| i as usize).collect())
        .collect()
}

/// A deduplication key as grouping compares it: the first 127 bits of its BLAKE3 hash,
/// and in the last bit whether it is an IRI key (kept however many records share it).
/// Two different keys have the same print with a probability of 2^-127 a pair (keys
/// are harvested, untrusted text: the hash is cryptographic so none can be made to
/// collide); holding 16 bytes a key instead of the key keeps a rebuild of 1,000,000
/// records about 200 MB smaller.
pub(crate) type KeyPrint = u128;

const IRI_KEY: KeyPrint = 1 << 127;

/// Returns the print of deduplication key `key`.
pub(crate) fn key_print(key: &str) -> KeyPrint {
    let hash = blake3::hash(key.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash.as_bytes()[..16]);
    let print = KeyPrint::from_le_bytes(first) & !IRI_KEY;
    if key.starts_with("iri:") {
        print | IRI_KEY
    } else {
        print
    }
}

/// The key prints of records `0..len()`, one run per record, in one table.
#[derive(Debug, Default)]
pub(crate) struct KeyPrints {
    prints: Vec<KeyPrint>,
    ends: Vec<usize>,
}

impl KeyPrints {
    /// Adds the prints of the next record.
    pub(crate) fn push(&mut self, mut prints: Vec<KeyPrint>) {
        prints.sort_unstable();
        prints.dedup();
        self.prints.extend(prints);
        self.ends.push(self.prints.len());
    }

    fn of(&self, i: usize) -> &[KeyPrint] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.prints[start..self.ends[i]]
    }
}

/// Groups of record indices in one table (group by group, members in index order).
#[derive(Debug, Default)]
pub(crate) struct Groups {
    members: Vec<u32>,
    ends: Vec<u32>,
}

impl Groups {
    /// Returns the number of groups.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns the members of group `g`.
    pub(crate) fn members(&self, g: usize) -> &[u32] {
        let start = if g == 0 { 0 } else { self.ends[g - 1] as usize };
        &self.members[start..self.ends[g] as usize]
    }
}

/// Groups records `0..n` (at most `u32::MAX`), whose dataset ids `id` gives and keys
/// `keys` holds: records with the same dataset id or sharing a key are one dataset,
/// except for keys other than IRIs held by more than [`MAX_KEY_SHARE`] records. Groups
/// come out ordered by their smallest dataset id; members in index order. Memory: a few
/// 4-byte numbers a record and a key, no map: equal ids and equal keys are found by
/// sorting record numbers.
pub(crate) fn group_records<'a>(
    n: usize,
    id: impl Fn(usize) -> &'a str,
    keys: &KeyPrints,
) -> Groups {
    assert!(
        u32::try_from(n).is_ok() && u32::try_from(keys.prints.len()).is_ok(),
        "at most u32::MAX records and keys are grouped"
    );
    debug_assert_eq!(keys.ends.len(), n);
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    fn union(parent: &mut [u32], a: u32, b: u32) {
        let (a, b) = (find(parent, a), find(parent, b));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    // Same dataset id: records in id order, each run joined to its first record.
    let mut by_id: Vec<u32> = (0..n as u32).collect();
    by_id.sort_unstable_by(|&a, &b| id(a as usize).cmp(id(b as usize)).then(a.cmp(&b)));
    for pair in by_id.windows(2) {
        if id(pair[0] as usize) == id(pair[1] as usize) {
            union(&mut parent, pair[0], pair[1]);
        }
    }
    // Shared keys: key places in key order (then record order), each run joined unless
    // the key is too common to name one dataset. A record's prints are distinct, so a
    // run's length is its number of records.
    let mut owner: Vec<u32> = Vec::with_capacity(keys.prints.len());
    for i in 0..n {
        owner.extend(std::iter::repeat_n(i as u32, keys.of(i).len()));
    }
    let mut places: Vec<u32> = (0..keys.prints.len() as u32).collect();
    places.sort_unstable_by_key(|&p| (keys.prints[p as usize], p));
    for run in places.chunk_by(|&a, &b| keys.prints[a as usize] == keys.prints[b as usize]) {
        if run.len() > MAX_KEY_SHARE && keys.prints[run[0] as usize] & IRI_KEY == 0 {
            continue;
        }
        for &p in &run[1..] {
            union(&mut parent, owner[run[0] as usize], owner[p as usize]);
        }
    }
    drop(places);
    drop(owner);
    // Group numbers in the order of each group's smallest id: the order in which records
    // sorted by id first meet each group.
    let mut number: Vec<u32> = vec![u32::MAX; n];
    let mut groups = 0u32;
    for &i in &by_id {
        let root = find(&mut parent, i) as usize;
        if number[root] == u32::MAX {
            number[root] = groups;
            groups += 1;
        }
    }
    drop(by_id);
    let group_of = |parent: &mut [u32], i: u32| number[find(parent, i) as usize] as usize;
    let mut ends: Vec<u32> = vec![0; groups as usize];
    for i in 0..n as u32 {
        ends[group_of(&mut parent, i)] += 1;
    }
    let mut next: Vec<u32> = Vec::with_capacity(ends.len());
    let mut total = 0u32;
    for end in &mut ends {
        next.push(total);
        total += *end;
        *end = total;
    }
    let mut members: Vec<u32> = vec![0; n];
    for i in 0..n as u32 {
        let g = group_of(&mut parent, i);
        members[next[g] as usize] = i;
        next[g] += 1;
    }
    Groups { members, ends }
}

/// Returns the merged view of a group: fields from the original record (the one whose
/// IRI another record gives as identifier, else the copy of the source owning the IRI's
/// site, else the first harvested: [`moisson_catalog::order_copies`]), keywords, themes
/// and spatial coverage from all, every source listed.
pub fn merged_view(group: &[Record]) -> DatasetView {
    let cited: BTreeSet<&str> = group
        .iter()
        .flat_map(|r| {
            r.view
                .identifiers
                .iter()
                .map(|i| i.trim().trim_end_matches('/'))
        })
        .collect();
    let mut order: Vec<&Record> = group.iter().collect();
    order.sort_by(|a, b| {
        let a_cited = cited.contains(a.entry.record_iri.as_str());
        let b_cited = cited.contains(b.entry.record_iri.as_str());
        b_cited
            .cmp(&a_cited)
            .then_with(|| moisson_catalog::order_copies(&a.entry, &b.entry))
            .then_with(|| a.entry.dataset_id.cmp(&b.entry.dataset_id))
    });
    let mut view = order[0].view.clone();
    for other in &order[1..] {
        for (mine, theirs) in [
            (&mut view.keywords, &other.view.keywords),
            (&mut view.themes, &other.view.themes),
            (&mut view.spatial, &other.view.spatial),
            (&mut view.bboxes, &other.view.bboxes),
            (&mut view.formats, &other.view.formats),
        ] {
            for v in theirs {
                if !mine.contains(v) && mine.len() < 500 {
                    mine.push(v.clone());
                }
            }
        }
        if let Some(theirs) = &other.view.hvd {
            view.hvd.get_or_insert_with(Default::default).merge(theirs);
        }
        for s in &other.view.sources {
            if !view
                .sources
                .iter()
                .any(|x| x.source == s.source && x.graph == s.graph)
            {
                view.sources.push(s.clone());
            }
        }
    }
    view.sources.sort_by(|a, b| a.source.cmp(&b.source));
    view
}

/// Builds the document of one group of records. `now` is Unix seconds (freshness bands).
pub fn build_document(
    group: &[Record],
    vocab: &Vocabularies,
    sources: &SourceContexts,
    now: i64,
) -> SearchDocument {
    debug_assert!(!group.is_empty());
    let view = merged_view(group);
    let classification = classify(&view, vocab, sources);
    let mut members: Vec<String> = group.iter().map(|r| r.entry.dataset_id.clone()).collect();
    members.sort();
    members.dedup();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for r in group {
        keys.extend(dedup_keys(&r.view));
    }
    let id = members[0].clone();
    let source_ids: Vec<String> = view
        .sources
        .iter()
        .map(|s| s.source.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let configured_kind = source_ids
        .iter()
        .find_map(|s| sources.get(s).and_then(|c| c.publisher_kind.clone()));
    let publisher_kind =
        normalize::publisher_kind(configured_kind.as_deref(), view.publisher.as_deref());
    let formats = formats_of(&view);
    let license = view.license.as_deref().map(normalize::licence);
    // A modification date in the future is a metadata defect (the quality indicator
    // « Dates valides » flags it): it neither ranks first in « Derniers mis à jour » nor
    // makes the dataset « fresh »; the date as given is still shown.
    let modified = view
        .modified
        .as_deref()
        .and_then(parse_date)
        .filter(|m| *m <= now + 86_400);
    // The score of the copy the dataset's page shows (`order_copies`): one score per
    // record, the same on its badge, its page and its source's dashboard.
    let quality = group
        .iter()
        .filter(|r| r.entry.dataset_id == id)
        .min_by(|a, b| moisson_catalog::order_copies(&a.entry, &b.entry))
        .and_then(|r| r.quality);
    let facets = facets_of(&FacetInputs {
        classification: &classification,
        publisher: view.publisher.as_deref(),
        publisher_kind: publisher_kind.as_ref().map(|k| k.value.as_str()),
        sources: &source_ids,
        formats: &formats,
        license: license.as_ref().map(|l| l.value.as_str()),
        freshness: normalize::freshness(modified, now).value,
        quality,
        kind: &view.kind,
        hvd: view.hvd.as_ref(),
    });
    let context = context_text(&view, &classification);
    let summary = Summary {
        id: id.clone(),
        iri: view.iri.clone(),
        kind: view.kind.clone(),
        title: view.title.clone(),
        description: view.description.as_deref().map(|d| cut(d, 500)),
        publisher: view.publisher.clone(),
        publisher_kind: publisher_kind.map(|k| k.value),
        sources: source_ids,
        themes: classification
            .themes
            .iter()
            .map(|a| a.value.clone())
            .collect(),
        use_cases: classification
            .use_cases
            .iter()
            .map(|a| a.value.clone())
            .collect(),
        territories: classification
            .territories
            .iter()
            .map(|a| a.value.clone())
            .collect(),
        formats: formats.iter().map(|f| f.label.clone()).collect(),
        license: license.map(|l| l.label),
        modified: view.modified.clone(),
        quality_score: quality,
        duplicates: if members.len() > 1 {
            members[1..].to_vec()
        } else {
            Vec::new()
        },
        hvd: view.hvd.clone(),
    };
    // A file name given as title (`PLU_69_2023.gpkg`) says little about the data: its
    // words are searched with the context's weight, not the title's, so the datasets
    // described in words come first.
    let raw_title = view.title.clone().unwrap_or_default();
    let (title, context) = if looks_like_file_name(&raw_title) {
        (String::new(), format!("{raw_title}\n{context}"))
    } else {
        (raw_title, context)
    };
    SearchDocument {
        id,
        members,
        keys: keys.into_iter().collect(),
        title,
        keywords: view.keywords.join("\n"),
        description: cut(view.description.as_deref().unwrap_or_default(), 20_000),
        context,
        facets,
        modified,
        quality,
        summary,
        classification,
    }
}

/// Returns true for a title that is a file or layer name rather than words: one token
/// without spaces that holds an underscore (`PLU_69_2023`, `n_zone_inond_s_029`) or ends
/// with a file extension (`zonage.shp`, `PLU_69_2023.gpkg`).
pub fn looks_like_file_name(title: &str) -> bool {
    let title = title.trim();
    if title.is_empty() || title.chars().any(char::is_whitespace) {
        return false;
    }
    let extension = title.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (2..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
            && ext.chars().any(|c| c.is_ascii_alphabetic())
    });
    extension || title.contains('_')
}

fn formats_of(view: &DatasetView) -> Vec<normalize::Normalized> {
    let mut out: Vec<normalize::Normalized> = Vec::new();
    let raw = view.formats.iter().map(String::as_str).chain(
        view.distributions
            .iter()
            .filter_map(|d| d.media_type.as_deref()),
    );
    for f in raw.take(100) {
        let n = normalize::format(f);
        if !out.iter().any(|o| o.value == n.value) {
            out.push(n);
        }
    }
    if out.iter().any(|f| f.value != "zip") {
        // A zipped shapefile also says application/zip: the zip is not a format of its own.
        out.retain(|f| {
            f.value != "zip"
                || view
                    .formats
                    .iter()
                    .any(|r| normalize::format(r).value == "zip")
        });
    }
    out
}

struct FacetInputs<'a> {
    classification: &'a Classification,
    publisher: Option<&'a str>,
    publisher_kind: Option<&'a str>,
    sources: &'a [String],
    formats: &'a [normalize::Normalized],
    license: Option<&'a str>,
    freshness: String,
    quality: Option<f64>,
    kind: &'a str,
    hvd: Option<&'a moisson_catalog::hvd::HvdClaim>,
}

fn facets_of(input: &FacetInputs<'_>) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for a in &input.classification.themes {
        let dim = if a.parent.is_some() {
            "subtheme"
        } else {
            "theme"
        };
        out.push((dim, a.value.clone()));
    }
    for a in &input.classification.use_cases {
        out.push(("use_case", a.value.clone()));
    }
    for a in &input.classification.territories {
        out.push((crate::territory::dimension_of(&a.value), a.value.clone()));
        // The places found themselves (not only as the parent of a finer one): a search
        // by commune also finds the data of its EPCI, département and région this way.
        if a.reasons.iter().any(|r| !r.starts_with("via ")) {
            out.push((crate::territory::SCOPE_DIMENSION, a.value.clone()));
        }
    }
    if let Some(p) = input.publisher {
        out.push(("publisher", cut(p.trim(), 150)));
    }
    if let Some(k) = input.publisher_kind {
        out.push(("publisher_kind", k.to_owned()));
    }
    for s in input.sources {
        out.push(("source", s.clone()));
    }
    for f in input.formats {
        out.push(("format", f.value.clone()));
    }
    if let Some(l) = input.license {
        out.push(("license", l.to_owned()));
    }
    out.push(("freshness", input.freshness.clone()));
    if let Some(q) = input.quality {
        out.push(("quality", normalize::quality_band(q).value));
    }
    out.push(("kind", input.kind.to_owned()));
    if let Some(claim) = input.hvd {
        out.push(("hvd", moisson_catalog::hvd::ANY_HVD.to_owned()));
        for c in &claim.categories {
            out.push(("hvd", c.clone()));
        }
    }
    out
}

fn context_text(view: &DatasetView, c: &Classification) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(p) = &view.publisher {
        parts.push(p);
    }
    for a in c.themes.iter().chain(&c.use_cases).chain(&c.territories) {
        parts.push(&a.label);
    }
    parts.join("\n")
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::{RecordKind, RecordState};
    use std::collections::HashMap;

    pub(crate) fn record(source: &str, iri: &str, identifier: &str, publisher: &str) -> Record {
        let entry = RecordEntry {
            graph: format!("urn:g:{source}:{iri}"),
            source: source.into(),
            record_iri: iri.into(),
            dataset_id: moisson_catalog::dataset_id(iri),
            kind: RecordKind::Dataset,
            hash: "h".into(),
            page_url: String::new(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-01-01T00:00:00Z".into(),
            state: RecordState::Active,
            withdrawn_at: None,
        };
        let view = DatasetView {
            id: entry.dataset_id.clone(),
            iri: iri.into(),
            kind: "dataset".into(),
            title: Some(format!("Jeu {iri}")),
            identifiers: vec![identifier.into()],
            publisher: Some(publisher.into()),
            sources: vec![moisson_catalog::store::SourceRef {
                source: source.into(),
                first_seen: String::new(),
                last_changed: String::new(),
                page_url: String::new(),
                graph: entry.graph.clone(),
            }],
            ..DatasetView::default()
        };
        Record {
            entry,
            view,
            quality: None,
        }
    }

    /// Grouping as it was written first, over key strings and one map of holders per
    /// key: the reference the compact grouping must match.
    fn reference_groups(ids: &[&str], keys: &[Vec<String>]) -> Vec<Vec<usize>> {
        let mut parent: Vec<usize> = (0..ids.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                i = parent[i];
            }
            i
        }
        fn union(parent: &mut [usize], a: usize, b: usize) {
            let (a, b) = (find(parent, a), find(parent, b));
            parent[a.max(b)] = a.min(b);
        }
        let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            holders.entry(id).or_default().push(i);
        }
        for members in holders.values() {
            for pair in members.windows(2) {
                union(&mut parent, pair[0], pair[1]);
            }
        }
        let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, ks) in keys.iter().enumerate() {
            for k in ks {
                holders.entry(k.as_str()).or_default().push(i);
            }
        }
        for (key, members) in &holders {
            if members.len() > MAX_KEY_SHARE && !key.starts_with("iri:") {
                continue;
            }
            for pair in members.windows(2) {
                union(&mut parent, pair[0], pair[1]);
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..ids.len() {
            groups.entry(find(&mut parent, i)).or_default().push(i);
        }
        let mut out: Vec<Vec<usize>> = groups.into_values().collect();
        let smallest = |g: &Vec<usize>| g.iter().map(|&i| ids[i]).min().unwrap_or_default();
        out.sort_by(|a, b| smallest(a).cmp(smallest(b)));
        out
    }

    /// The compact grouping (key prints, first holders) gives the reference's groups, in
    /// its order, on records sharing ids, keys, IRI keys and keys too common to count.
    #[test]
    fn compact_grouping_matches_the_reference() {
        let mut next = crate::test_random(0x2545_F491_4F6C_DD1D);
        for round in 0..40 {
            let n = 1 + next(3000) as usize;
            let ids: Vec<String> = (0..n)
                .map(|_| format!("jdd-{}", next(n as u64 * 2)))
                .collect();
            let keys: Vec<Vec<String>> = (0..n)
                .map(|i| {
                    let mut ks = vec![format!("iri:{}", next(n as u64 * 3))];
                    for _ in 0..next(3) {
                        ks.push(match next(4) {
                            0 => format!("uuid:{}", next(n as u64 * 4)),
                            // Common to many records: ignored past MAX_KEY_SHARE holders
                            // (some rounds), unless an IRI.
                            1 => format!("pid:p|{}", next(2 + round % 3)),
                            2 => format!("iri:common{}", next(2)),
                            _ => format!("pid:{i}|x"),
                        });
                    }
                    ks.sort();
                    ks.dedup();
                    ks
                })
                .collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            assert_eq!(
                group_indices(&ids, &keys),
                reference_groups(&ids, &keys),
                "round {round}"
            );
        }
    }

    #[test]
    fn file_names_given_as_titles_are_recognised() {
        for name in [
            "PLU_69_2023.gpkg",
            "zonage.shp",
            "n_zone_inond_s_029",
            "export.CSV",
        ] {
            assert!(looks_like_file_name(name), "{name}");
        }
        for title in ["PLU de Lyon", "Corine", "Zones humides 2.0", "v1.2", ""] {
            assert!(!looks_like_file_name(title), "{title}");
        }
    }

    #[test]
    fn same_iri_or_iri_identifier_merges_across_publishers() {
        let groups = group(vec![
            record("a", "https://x/1", "https://id/1", "DDT 29"),
            record("b", "https://y/1", "https://id/1", "DREAL Bretagne"),
            record("c", "https://x/1", "other", "Autre"),
            record("d", "https://z/9", "https://id/9", "DDT 29"),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups.iter().map(Vec::len).max(), Some(3));
    }

    #[test]
    fn plain_identifiers_merge_only_within_a_publisher() {
        let groups = group(vec![
            record("a", "https://x/1", "JDD-42", "DDT 29"),
            record("b", "https://y/1", "JDD-42", "DDT 29"),
            record("c", "https://z/1", "JDD-42", "DDT 56"),
            record("d", "https://w/1", "TODO", "DDT 29"),
            record("e", "https://v/1", "TODO", "DDT 29"),
        ]);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 5);
        assert_eq!(groups.len(), 4, "{sizes:?}");
    }

    #[test]
    fn a_uuid_merges_many_copies_into_one_document() {
        let uuid = "0a1b2c3d-1111-2222-3333-444455556666";
        let records: Vec<Record> = (0..181)
            .map(|i| {
                record(
                    &format!("s{}", i % 7),
                    &format!("https://copy/{i}"),
                    uuid,
                    &format!("P{i}"),
                )
            })
            .collect();
        let groups = group(records);
        assert_eq!(groups.len(), 1);
        let doc = build_document(
            &groups[0],
            moisson_catalog::vocab::vocabularies(),
            &SourceContexts::new(),
            0,
        );
        assert_eq!(doc.members.len(), 181);
        assert_eq!(doc.summary.sources.len(), 7);
        assert_eq!(doc.summary.duplicates.len(), 180);
    }
}
