//! The record registry: which graph is the current version of which record of which
//! source, and whether it is active or withdrawn.
//!
//! A source's registry is stored as a few literals in the metadata graph, each holding up
//! to [`CHUNK_ENTRIES`] entries as JSON lines, about `urn:moisson:registry:{source}`
//! (`moisson:registryChunk`). One harvest rewrites its source's chunks in one transaction:
//! tens of quads instead of several per record, which made the commit of a 100,000-record
//! harvest take a minute and 800 MB. Readers go through an in-process cache with an index
//! by dataset id. Page fingerprints (`moisson:Page`) let a re-harvest skip a byte-identical
//! page.

use oxigraph::model::{Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

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

impl RecordEntry {
    /// Returns true when the record was read from the site its IRI is on (`www.` aside,
    /// or one host a subdomain of the other): that source owns the IRI, and its copy is
    /// the one shown when several sources publish the same IRI.
    pub fn owns_its_iri(&self) -> bool {
        fn site(url: &str) -> Option<String> {
            let (scheme, rest) = url.split_once("://")?;
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return None;
            }
            let authority = rest.split(['/', '?', '#']).next()?;
            let host_port = authority.rsplit('@').next()?;
            let host = host_port.split(':').next()?.trim_end_matches('.');
            if host.is_empty() {
                return None;
            }
            let host = host.to_ascii_lowercase();
            Some(host.strip_prefix("www.").map(str::to_owned).unwrap_or(host))
        }
        match (site(&self.record_iri), site(&self.page_url)) {
            (Some(iri), Some(page)) => {
                iri == page
                    || iri.ends_with(&format!(".{page}"))
                    || page.ends_with(&format!(".{iri}"))
            }
            _ => false,
        }
    }
}

/// Orders the copies of one record held by several sources, the copy to show first: the
/// source that owns the IRI's site, then the earliest harvested, then by source id. A
/// source that republishes another's IRI never replaces the owner's title and links.
pub fn order_copies(a: &RecordEntry, b: &RecordEntry) -> std::cmp::Ordering {
    b.owns_its_iri()
        .cmp(&a.owns_its_iri())
        .then_with(|| a.first_seen.cmp(&b.first_seen))
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.record_iri.cmp(&b.record_iri))
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

/// Registry entries per chunk literal: big enough that a 100,000-record source is ~50
/// quads, small enough that one literal stays a few hundred kilobytes.
const CHUNK_ENTRIES: usize = 2_000;

/// The subject holding the registry chunks of `source`.
fn registry_subject(source: &str) -> NamedNode {
    NamedNode::new_unchecked(format!(
        "{}{}",
        moisson::REGISTRY_PREFIX,
        encode_page_key(source)
    ))
}

/// The registry of one source as cached in memory: its entries and two indexes, by record
/// IRI and by dataset id. The indexes are entry numbers sorted by the key (4 bytes an
/// entry, searched by bisection) rather than hash maps holding a copy of each key (about
/// 270 bytes an entry, 270 MB for a source of 1,000,000 records).
#[derive(Debug, Default)]
pub(crate) struct SourceRegistry {
    entries: Vec<RecordEntry>,
    /// Entry numbers sorted by dataset id (then number).
    by_dataset: Vec<u32>,
    /// Entry numbers sorted by record IRI (then number): of two entries with the same IRI,
    /// against the invariants, the last one counts.
    by_iri: Vec<u32>,
    /// Distinct record IRIs.
    distinct_iris: usize,
}

impl SourceRegistry {
    fn new(entries: Vec<RecordEntry>) -> Self {
        let numbers = || (0..entries.len()).filter_map(|i| u32::try_from(i).ok());
        let mut by_iri: Vec<u32> = numbers().collect();
        // Stable: equal IRIs stay in entry order, so the last of them is the last entry.
        by_iri.sort_by(|&a, &b| {
            entries[a as usize]
                .record_iri
                .cmp(&entries[b as usize].record_iri)
        });
        let mut by_dataset: Vec<u32> = numbers().collect();
        by_dataset.sort_by(|&a, &b| {
            entries[a as usize]
                .dataset_id
                .cmp(&entries[b as usize].dataset_id)
        });
        let distinct_iris = by_iri
            .windows(2)
            .filter(|w| entries[w[0] as usize].record_iri != entries[w[1] as usize].record_iri)
            .count()
            + usize::from(!by_iri.is_empty());
        Self {
            entries,
            by_dataset,
            by_iri,
            distinct_iris,
        }
    }

    /// The entry of record `iri` (the last one if there are two).
    fn by_iri(&self, iri: &str) -> Option<&RecordEntry> {
        let end = self
            .by_iri
            .partition_point(|&i| self.entries[i as usize].record_iri.as_str() <= iri);
        let last = self
            .entries
            .get(*self.by_iri.get(end.checked_sub(1)?)? as usize)?;
        (last.record_iri == iri).then_some(last)
    }

    /// The entries whose dataset id is `id`, in entry order.
    fn by_dataset<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a RecordEntry> + 'a {
        let start = self
            .by_dataset
            .partition_point(|&i| self.entries[i as usize].dataset_id.as_str() < id);
        self.by_dataset[start..]
            .iter()
            .map(|&i| &self.entries[i as usize])
            .take_while(move |e| e.dataset_id == id)
    }

    /// Each record IRI's entry (the last one when there are two), sorted by IRI.
    fn distinct(&self) -> impl Iterator<Item = &RecordEntry> + '_ {
        let n = self.by_iri.len();
        self.by_iri.iter().enumerate().filter_map(move |(k, &i)| {
            let entry = &self.entries[i as usize];
            let next_same = k + 1 < n
                && self.entries[self.by_iri[k + 1] as usize].record_iri == entry.record_iri;
            (!next_same).then_some(entry)
        })
    }
}

/// The registry of one source keyed by record IRI, as of one moment: a handle on the cached
/// entries, so a harvest of 1,000,000 records does not copy them (it did, three times).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    inner: Arc<SourceRegistry>,
}

impl Registry {
    /// A registry holding `entries` (not stored anywhere): what a harvest plan is tested
    /// against, or what a dry run compares with.
    pub fn from_entries(entries: Vec<RecordEntry>) -> Self {
        Self {
            inner: Arc::new(SourceRegistry::new(entries)),
        }
    }

    /// Returns the entry of record `record_iri`.
    pub fn get(&self, record_iri: &str) -> Option<&RecordEntry> {
        self.inner.by_iri(record_iri)
    }

    /// Whether record `record_iri` has an entry.
    pub fn contains_key(&self, record_iri: &str) -> bool {
        self.inner.by_iri(record_iri).is_some()
    }

    /// Returns the number of records.
    pub fn len(&self) -> usize {
        self.inner.distinct_iris
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.inner.distinct_iris == 0
    }

    /// Returns every (record IRI, entry), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RecordEntry)> + '_ {
        self.inner.distinct().map(|e| (e.record_iri.as_str(), e))
    }

    /// Returns every entry, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &RecordEntry> + '_ {
        self.inner.distinct()
    }

    /// Returns every entry in stored order (by graph name for a stored registry), two of
    /// one IRI (against the invariants) both, as [`CatalogStore::all_entries`] has them.
    pub fn entries(&self) -> impl Iterator<Item = &RecordEntry> + '_ {
        self.inner.entries.iter()
    }

    /// The `i`-th entry in the stored order ([`Self::entries`]).
    pub fn entry(&self, i: usize) -> Option<&RecordEntry> {
        self.inner.entries.get(i)
    }
}

/// Registries read so far, per source, and the list of sources once read. The store is
/// opened by one process at a time and every registry change goes through
/// [`CatalogStore::commit_harvest`], which refreshes both, so the cache never goes stale.
#[derive(Debug, Default)]
pub(crate) struct CachedRegistries {
    /// Every source with a registry (listing them decodes every chunk, megabytes at 100k
    /// records: it is done once, not at each dataset lookup).
    sources: Option<BTreeSet<String>>,
    by_source: HashMap<String, Arc<SourceRegistry>>,
    /// Commits of each source, and commits that made a new source or emptied the cache,
    /// counted as they reach the cache: a read from the store is cached only if these
    /// did not move while it read ([`CatalogStore::cache_read_registry`]).
    commits: super::WriteCounts,
    new_sources: u64,
}

/// What a reader of the store saw of [`CachedRegistries`]' counts before reading.
type RegistrySeen = (u64, u64);

impl CachedRegistries {
    fn seen(&self, source: &str) -> RegistrySeen {
        (self.commits.of(source), self.new_sources)
    }

    /// Forgets every registry read (their layout changed in the store).
    fn reset(&mut self) {
        self.sources = None;
        self.by_source.clear();
        self.new_sources += 1;
    }
}

/// See [`CachedRegistries`].
pub(crate) type RegistryCache = Mutex<CachedRegistries>;

/// Parses the chunk literals among `quads` into entries.
fn entries_from_chunks(
    quads: impl Iterator<Item = Result<Quad, oxigraph::store::StorageError>>,
) -> Result<Vec<RecordEntry>, StoreError> {
    let mut out = Vec::new();
    each_entry_of_chunks(quads, |entry| {
        out.push(entry);
        Ok::<_, StoreError>(())
    })?;
    Ok(out)
}

/// Calls `each` with every entry of the chunk literals among `quads`, decoding one chunk
/// at a time (a registry is never whole in memory).
fn each_entry_of_chunks<E: From<StoreError>>(
    quads: impl Iterator<Item = Result<Quad, oxigraph::store::StorageError>>,
    mut each: impl FnMut(RecordEntry) -> Result<(), E>,
) -> Result<(), E> {
    for quad in quads {
        let Term::Literal(l) = quad.map_err(StoreError::from)?.object else {
            continue;
        };
        let text = if super::blob::is_packed(l.value()) {
            std::borrow::Cow::Owned(super::blob::unpack_text(l.value()).ok_or_else(|| {
                StoreError::Corrupt("registry chunk: damaged compressed text".into())
            })?)
        } else {
            std::borrow::Cow::Borrowed(l.value())
        };
        for line in text.lines().filter(|l| !l.is_empty()) {
            each(
                serde_json::from_str(line)
                    .map_err(|e| StoreError::Corrupt(format!("registry entry: {e}")))?,
            )?;
        }
    }
    Ok(())
}

/// Serializes entries as chunk literals of JSON lines.
fn chunk_literals(entries: &[RecordEntry]) -> Result<Vec<Literal>, StoreError> {
    let mut out = Vec::with_capacity(entries.len() / CHUNK_ENTRIES + 1);
    for chunk in entries.chunks(CHUNK_ENTRIES) {
        let mut text = String::with_capacity(chunk.len() * 400);
        for entry in chunk {
            text.push_str(
                &serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            text.push('\n');
        }
        // Compressed (~10× on JSON lines): a commit that changes a few records rewrites
        // every chunk, and oxigraph never reclaims the strings it replaced.
        let stored = super::blob::pack_text(&text).unwrap_or(text);
        out.push(Literal::new_simple_literal(stored));
    }
    Ok(out)
}

impl CatalogStore {
    /// Returns the registry of `source` if it is cached.
    fn cached_registry(&self, source: &str) -> Option<Arc<SourceRegistry>> {
        self.registry_cache
            .lock()
            .ok()
            .and_then(|c| c.by_source.get(source).cloned())
    }

    /// Returns the cached registry of `source`, reading it from the store on first use.
    fn source_registry(&self, source: &str) -> Result<Arc<SourceRegistry>, StoreError> {
        if let Some(r) = self.cached_registry(source) {
            return Ok(r);
        }
        let seen = self.registry_seen(source);
        let entries = entries_from_chunks(self.registry_chunks(source))?;
        let registry = Arc::new(SourceRegistry::new(entries));
        self.cache_read_registry(source, registry.clone(), seen);
        Ok(registry)
    }

    /// What [`Self::cache_read_registry`] is given, taken before reading the store.
    fn registry_seen(&self, source: &str) -> Option<RegistrySeen> {
        self.registry_cache.lock().ok().map(|c| c.seen(source))
    }

    /// Caches a registry of `source` read from the store, unless a commit of that source
    /// (or one that made a new source) reached the cache since `seen`: the read may then
    /// be older than what the commit cached, and would replace it until the source's
    /// next commit.
    fn cache_read_registry(
        &self,
        source: &str,
        registry: Arc<SourceRegistry>,
        seen: Option<RegistrySeen>,
    ) {
        if let Ok(mut cache) = self.registry_cache.lock() {
            if Some(cache.seen(source)) == seen {
                cache.by_source.insert(source.to_owned(), registry);
            }
        }
    }

    /// Returns the registry chunks of `source` as stored (quads whose objects are chunk
    /// literals).
    fn registry_chunks(
        &self,
        source: &str,
    ) -> impl Iterator<Item = Result<Quad, oxigraph::store::StorageError>> {
        let subject = registry_subject(source);
        self.store.quads_for_pattern(
            Some(subject.as_ref().into()),
            Some(named(moisson::REGISTRY_CHUNK)),
            None,
            Some(meta_graph()),
        )
    }

    /// Returns the ids of every source with a registry in the store.
    fn registry_sources(&self) -> Result<Vec<String>, StoreError> {
        if let Some(sources) = self
            .registry_cache
            .lock()
            .ok()
            .and_then(|c| c.sources.clone())
        {
            return Ok(sources.into_iter().collect());
        }
        let seen = self.registry_cache.lock().ok().map(|c| c.new_sources);
        let mut out = BTreeSet::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(named(moisson::REGISTRY_CHUNK)),
            None,
            Some(meta_graph()),
        ) {
            if let NamedOrBlankNode::NamedNode(s) = quad?.subject {
                if let Some(key) = s.as_str().strip_prefix(moisson::REGISTRY_PREFIX) {
                    out.insert(decode_page_key(key));
                }
            }
        }
        // Not cached when a commit made a new source meanwhile: the list may lack it.
        if let Ok(mut cache) = self.registry_cache.lock() {
            if Some(cache.new_sources) == seen {
                cache.sources = Some(out.clone());
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Returns the registry of `source`, keyed by record IRI (shared, not copied).
    pub fn registry(&self, source: &str) -> Result<Registry, StoreError> {
        Ok(Registry {
            inner: self.source_registry(source)?,
        })
    }

    /// Returns the registry of every source, sorted by source id: handles on the cached
    /// registries (read from the store and cached on first use), no entry copied.
    pub fn registries(&self) -> Result<Vec<Registry>, StoreError> {
        self.registry_sources()?
            .iter()
            .map(|source| self.registry(source))
            .collect()
    }

    /// Returns every entry (active and withdrawn) of every source, sorted by source then
    /// record IRI.
    pub fn all_entries(&self) -> Result<Vec<RecordEntry>, StoreError> {
        let mut out = Vec::new();
        for source in self.registry_sources()? {
            out.extend(self.source_registry(&source)?.entries.iter().cloned());
        }
        out.sort_by(|a, b| (&a.source, &a.record_iri).cmp(&(&b.source, &b.record_iri)));
        Ok(out)
    }

    /// Returns every active entry of every source, sorted by source then record IRI.
    pub fn active_entries(&self) -> Result<Vec<RecordEntry>, StoreError> {
        let mut out = self.all_entries()?;
        out.retain(|e| e.state == RecordState::Active);
        Ok(out)
    }

    /// Calls `each` with every active entry of every source, source by source, without
    /// copying the registries (a full index rebuild keeps its own compact copy): a cached
    /// registry is read in place, any other is decoded from the store a chunk at a time
    /// and not cached (a rebuild of 1,000,000 records would otherwise hold them twice,
    /// ~1 GB as entries on top of its compact copy).
    pub fn for_each_active_entry<E: From<StoreError>>(
        &self,
        mut each: impl FnMut(&RecordEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_entry(|entry| {
            if entry.state == RecordState::Active {
                return each(entry);
            }
            Ok(())
        })
    }

    /// Calls `each` with every entry of every source (withdrawn ones too), source by
    /// source, as [`Self::for_each_active_entry`] reads them.
    fn each_entry<E: From<StoreError>>(
        &self,
        mut each: impl FnMut(&RecordEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        for source in self.registry_sources()? {
            let Some(registry) = self.cached_registry(&source) else {
                each_entry_of_chunks(self.registry_chunks(&source), |entry| each(&entry))?;
                continue;
            };
            for entry in &registry.entries {
                each(entry)?;
            }
        }
        Ok(())
    }

    /// Returns the active entries whose public id is `dataset_id` (one per source holding it).
    pub fn entries_for_dataset(&self, dataset_id: &str) -> Result<Vec<RecordEntry>, StoreError> {
        let mut out = Vec::new();
        for source in self.registry_sources()? {
            let registry = self.source_registry(&source)?;
            for entry in registry.by_dataset(dataset_id) {
                if entry.state == RecordState::Active {
                    out.push(entry.clone());
                }
            }
        }
        out.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(out)
    }

    /// Returns how many active and withdrawn records `source` holds.
    pub fn source_counts(&self, source: &str) -> Result<SourceCounts, StoreError> {
        let mut counts = SourceCounts::default();
        for entry in &self.source_registry(source)?.entries {
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
    ///
    /// The source's registry is rewritten as a few chunk literals in the same transaction as
    /// the page fingerprints and the job report: a commit costs tens of quads whatever the
    /// number of records, and readers see the old registry or the new one, never a mix.
    ///
    /// The commit is taken by value: its entries become the new registry without a copy
    /// (a first harvest of 1,000,000 records hands over 1,000,000 entries).
    pub fn commit_harvest(
        &self,
        source: &str,
        mut commit: HarvestCommit,
    ) -> Result<(), StoreError> {
        // A commit that retires copies waits for a purge of retired copies to end (see
        // `retire_lock`).
        let retiring = (!commit.dropped_graphs.is_empty() || !commit.purges.is_empty())
            .then(|| self.retire_lock.lock().unwrap_or_else(|e| e.into_inner()));
        let mut tx = self.store.start_transaction()?;
        let registry_changes = !(commit.upserts.is_empty()
            && commit.updates.is_empty()
            && commit.purges.is_empty()
            && commit.dropped_graphs.is_empty());
        let rewritten = if registry_changes {
            Some(self.rewrite_registry_in_tx(&mut tx, source, &mut commit)?)
        } else {
            None
        };
        let g = meta_graph().into_owned();
        for (url, hash) in &commit.pages {
            let page = NamedNode::new_unchecked(format!(
                "{}{source}:{}",
                moisson::PAGE_PREFIX,
                encode_page_key(url)
            ));
            let old: Vec<Quad> = tx
                .quads_for_pattern(Some(page.as_ref().into()), None, None, Some(meta_graph()))
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
            tx.insert(&Quad::new(
                page,
                named(moisson::PAGE_HASH),
                Literal::new_simple_literal(hash),
                g.clone(),
            ));
        }
        if let Some(job) = &commit.job {
            self.job_into_tx(&mut tx, job)?;
        }
        tx.commit()?;
        drop(retiring);
        self.flush_log();
        if let Some((entries, had_registry)) = rewritten {
            let registry = Arc::new(SourceRegistry::new(entries));
            if let Ok(mut cache) = self.registry_cache.lock() {
                cache.by_source.insert(source.to_owned(), registry);
                if let Some(sources) = cache.sources.as_mut() {
                    sources.insert(source.to_owned());
                }
                // Counted under the lock: a reader that read the store before this
                // commit leaves its read uncached (`cache_read_registry`).
                cache.commits.count(source);
                if !had_registry {
                    cache.new_sources += 1;
                }
            }
            self.registry_changed();
        }
        Ok(())
    }

    /// Applies `commit`'s entry changes to the registry of `source` inside `tx`: the
    /// source's chunks are read, changed and written back. Returns the new entries, sorted
    /// by graph (`commit`'s upserts and updates are moved into them), and whether the
    /// source had a registry before.
    fn rewrite_registry_in_tx(
        &self,
        tx: &mut oxigraph::store::Transaction<'_>,
        source: &str,
        commit: &mut HarvestCommit,
    ) -> Result<(Vec<RecordEntry>, bool), StoreError> {
        let subject = registry_subject(source);
        let old_chunks: Vec<Quad> = tx
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(named(moisson::REGISTRY_CHUNK)),
                None,
                Some(meta_graph()),
            )
            .collect::<Result<_, _>>()?;
        let mut entries = entries_from_chunks(old_chunks.iter().cloned().map(Ok))?;
        // Their copies are retired, not removed: the SPARQL store reads them to take
        // their triples out of its default graph, then purges them.
        for graph in &commit.dropped_graphs {
            super::blob::retire_copy_in_tx(tx, NamedNodeRef::new_unchecked(graph))?;
            tx.remove_named_graph(NamedNodeRef::new_unchecked(graph))?;
        }
        for entry in &commit.purges {
            super::blob::retire_copy_in_tx(tx, NamedNodeRef::new_unchecked(&entry.graph))?;
            tx.remove_named_graph(NamedNodeRef::new_unchecked(&entry.graph))?;
        }
        if !entries.is_empty() {
            // Old entries of a dropped, purged or rewritten graph go.
            let gone: HashSet<&str> = commit
                .dropped_graphs
                .iter()
                .map(String::as_str)
                .chain(commit.purges.iter().map(|e| e.graph.as_str()))
                .chain(commit.upserts.iter().map(|e| e.graph.as_str()))
                .chain(commit.updates.iter().map(|e| e.graph.as_str()))
                .collect();
            entries.retain(|e| !gone.contains(e.graph.as_str()));
        }
        entries.append(&mut commit.upserts);
        entries.append(&mut commit.updates);
        // One entry per graph, the last given (an update after an upsert of the same
        // graph wins), sorted by graph.
        entries.sort_by(|a, b| a.graph.cmp(&b.graph));
        entries.dedup_by(|later, kept| {
            let same = later.graph == kept.graph;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        for q in &old_chunks {
            tx.remove(q);
        }
        let g = meta_graph().into_owned();
        for literal in chunk_literals(&entries)? {
            tx.insert(&Quad::new(
                subject.clone(),
                named(moisson::REGISTRY_CHUNK),
                literal,
                g.clone(),
            ));
        }
        Ok((entries, !old_chunks.is_empty()))
    }

    /// Removes record graphs that no registry entry names (left by an interrupted harvest),
    /// their compact copies and the quads of those stored as quads, and returns how many
    /// were removed.
    ///
    /// Memory: a 64-bit hash of each referenced graph name, entries read in place or a
    /// chunk at a time (not cached), graph names streamed (a start at 1,000,000 records
    /// held every entry twice, ~2 GB). Two names with one hash can only make an orphan
    /// look referenced and stay until a later start: no named graph is ever removed by
    /// a collision.
    pub fn collect_garbage(&self) -> Result<usize, StoreError> {
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        let mut referenced: HashSet<u64> = HashSet::new();
        self.each_entry(|entry| {
            referenced.insert(hasher.hash_one(entry.graph.as_str()));
            Ok::<_, StoreError>(())
        })?;
        let mut orphans = BTreeSet::new();
        self.for_each_stored_record_graph(|g| {
            if !referenced.contains(&hasher.hash_one(g.as_str())) {
                orphans.insert(g);
            }
            Ok(())
        })?;
        drop(referenced);
        for g in &orphans {
            // The copy first: a crash in between leaves an orphan graph, collected next time.
            self.remove_copy(g.as_ref())?;
            self.store.remove_named_graph(g)?;
        }
        Ok(orphans.len())
    }

    /// Converts a registry stored by earlier versions (a handful of quads per entry) into
    /// chunks; returns how many entries were converted.
    pub(crate) fn migrate_registry(&self) -> Result<usize, StoreError> {
        let legacy = self
            .store
            .quads_for_pattern(
                None,
                Some(named(rdf::TYPE)),
                Some(named(moisson::RECORD_GRAPH).into()),
                Some(meta_graph()),
            )
            .next()
            .transpose()?;
        if legacy.is_none() {
            return Ok(0);
        }
        let mut by_source: BTreeMap<String, Vec<RecordEntry>> = BTreeMap::new();
        let mut subjects = Vec::new();
        for quad in
            self.store
                .quads_for_pattern(None, Some(named(moisson::HASH)), None, Some(meta_graph()))
        {
            let quad = quad?;
            let Term::Literal(l) = &quad.object else {
                continue;
            };
            let entry: RecordEntry = serde_json::from_str(l.value())
                .map_err(|e| StoreError::Corrupt(format!("legacy registry entry: {e}")))?;
            subjects.push(quad.subject.clone());
            by_source
                .entry(entry.source.clone())
                .or_default()
                .push(entry);
        }
        let mut tx = self.store.start_transaction()?;
        for subject in &subjects {
            let old: Vec<Quad> = tx
                .quads_for_pattern(Some(subject.as_ref()), None, None, Some(meta_graph()))
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
        }
        let g = meta_graph().into_owned();
        let mut converted = 0;
        for (source, entries) in &by_source {
            converted += entries.len();
            for literal in chunk_literals(entries)? {
                tx.insert(&Quad::new(
                    registry_subject(source),
                    named(moisson::REGISTRY_CHUNK),
                    literal,
                    g.clone(),
                ));
            }
        }
        tx.commit()?;
        if let Ok(mut cache) = self.registry_cache.lock() {
            cache.reset();
        }
        self.registry_changed();
        Ok(converted)
    }

    /// Returns the name of every record graph the store holds (as a compact copy or as
    /// quads), whether or not a registry names it, sorted.
    pub fn stored_record_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        let mut graphs = BTreeSet::new();
        self.for_each_stored_record_graph(|g| {
            graphs.insert(g);
            Ok(())
        })?;
        Ok(graphs.into_iter().collect())
    }

    /// Calls `f` with the name of every record graph the store holds, once for its
    /// compact copy and once if it has quads (so a graph may come twice).
    fn for_each_stored_record_graph(
        &self,
        mut f: impl FnMut(NamedNode) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        super::blob::for_each_copy_graph(&self.store, |g| {
            if g.as_str().starts_with(moisson::RECORD_GRAPH_PREFIX) {
                f(g)?;
            }
            Ok(())
        })?;
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(g) = graph? {
                if g.as_str().starts_with(moisson::RECORD_GRAPH_PREFIX) {
                    f(g)?;
                }
            }
        }
        Ok(())
    }

    /// Returns true when record graph `graph` is stored: its compact copy, or quads.
    pub fn graph_exists(&self, graph: &str) -> Result<bool, StoreError> {
        let node = NamedNode::new_unchecked(graph);
        if self.has_copy(node.as_ref())? {
            return Ok(true);
        }
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

    fn entry(source: &str, n: usize) -> RecordEntry {
        RecordEntry {
            graph: format!("urn:moisson:record:{source}:{n}"),
            source: source.into(),
            record_iri: format!("http://example.org/d/{n}"),
            dataset_id: format!("id{n}"),
            kind: RecordKind::Dataset,
            hash: format!("h{n}"),
            page_url: "http://example.org/catalog".into(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-01-01T00:00:00Z".into(),
            state: RecordState::Active,
            withdrawn_at: None,
        }
    }

    #[test]
    fn the_owner_of_an_iri_site_is_shown_first_then_the_earliest() {
        let copy = |source: &str, page: &str, first_seen: &str| RecordEntry {
            source: source.into(),
            record_iri: "https://data.ddt29.fr/dataset/ppri".into(),
            page_url: page.into(),
            first_seen: first_seen.into(),
            ..entry(source, 1)
        };
        let owner = copy(
            "ddt-29",
            "https://www.data.ddt29.fr/catalog.ttl",
            "2026-03-01T00:00:00Z",
        );
        let early = copy(
            "aggregator",
            "https://agg.example.org/dcat",
            "2025-01-01T00:00:00Z",
        );
        let late = copy(
            "mirror",
            "https://mirror.example.org/dcat",
            "2026-06-01T00:00:00Z",
        );
        assert!(owner.owns_its_iri());
        assert!(!early.owns_its_iri());
        let mut copies = [late.clone(), early.clone(), owner.clone()];
        copies.sort_by(order_copies);
        let order: Vec<&str> = copies.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(order, ["ddt-29", "aggregator", "mirror"]);
        // Without an owner, the earliest harvested copy comes first, whatever changed last.
        let mut copies = [late, early];
        copies.sort_by(order_copies);
        assert_eq!(copies[0].source, "aggregator");
        let sub = copy(
            "geo",
            "https://geo.data.ddt29.fr/csw",
            "2026-09-01T00:00:00Z",
        );
        assert!(sub.owns_its_iri(), "a subdomain of the IRI's site owns it");
        let other = copy(
            "x",
            "https://ddt29.fr.evil.example/",
            "2026-09-01T00:00:00Z",
        );
        assert!(!other.owns_its_iri());
    }

    #[test]
    fn a_legacy_registry_is_converted_to_chunks() {
        let store = CatalogStore::in_memory().expect("store");
        let g = meta_graph().into_owned();
        for n in 0..3 {
            let e = entry(if n == 2 { "b" } else { "a" }, n);
            let s = NamedNode::new_unchecked(e.graph.clone());
            let json = serde_json::to_string(&e).expect("json");
            for (p, o) in [
                (
                    rdf::TYPE,
                    Term::from(named(moisson::RECORD_GRAPH).into_owned()),
                ),
                (
                    moisson::SOURCE,
                    Literal::new_simple_literal(&e.source).into(),
                ),
                (moisson::HASH, Literal::new_simple_literal(json).into()),
            ] {
                store
                    .store
                    .insert(&Quad::new(s.clone(), named(p), o, g.clone()))
                    .expect("insert");
            }
        }
        assert_eq!(store.migrate_registry().expect("migrate"), 3);
        assert_eq!(store.registry("a").expect("a").len(), 2);
        assert_eq!(store.entries_for_dataset("id2").expect("b")[0].source, "b");
        assert_eq!(
            store.store.len().expect("len"),
            2,
            "one chunk per source, nothing else"
        );
        assert_eq!(store.migrate_registry().expect("again"), 0);
    }

    #[test]
    fn a_large_registry_is_a_few_chunks_and_commits_replace_them() {
        let store = CatalogStore::in_memory().expect("store");
        let upserts: Vec<RecordEntry> = (0..5_000).map(|n| entry("a", n)).collect();
        let commit = HarvestCommit {
            upserts,
            ..HarvestCommit::default()
        };
        // Chunks are stored compressed.
        let json: usize = commit
            .upserts
            .iter()
            .map(|e| serde_json::to_string(e).expect("json").len() + 1)
            .sum();
        store.commit_harvest("a", commit).expect("commit");
        assert_eq!(store.store.len().expect("len"), 3);
        let stored: usize = store
            .store
            .quads_for_pattern(None, Some(named(moisson::REGISTRY_CHUNK)), None, None)
            .map(|q| match q.expect("quad").object {
                Term::Literal(l) => {
                    assert!(super::super::blob::is_packed(l.value()));
                    l.value().len()
                }
                other => panic!("not a literal: {other}"),
            })
            .sum();
        assert!(
            stored * 4 < json,
            "{stored} bytes stored for {json} of JSON"
        );
        let dropped = HarvestCommit {
            dropped_graphs: vec!["urn:moisson:record:a:7".into()],
            ..HarvestCommit::default()
        };
        store.commit_harvest("a", dropped).expect("commit");
        *store.registry_cache.lock().expect("cache") = CachedRegistries::default();
        let registry = store.registry("a").expect("registry");
        assert_eq!(registry.len(), 4_999);
        assert!(!registry.contains_key("http://example.org/d/7"));
        assert_eq!(store.source_counts("a").expect("counts").datasets, 4_999);
    }

    /// A registry (or the list of sources) read from the store while a commit of that
    /// source lands is not cached over what the commit cached: views would show the
    /// registry before the harvest until the source's next commit.
    #[test]
    fn a_registry_read_while_a_commit_lands_is_not_cached_over_it() {
        let store = CatalogStore::in_memory().expect("store");
        let commit = |n: usize| HarvestCommit {
            upserts: vec![entry("a", n)],
            ..HarvestCommit::default()
        };
        store.commit_harvest("a", commit(1)).expect("commit");
        *store.registry_cache.lock().expect("cache") = CachedRegistries::default();
        // A reader reads the registry and the sources as they are before the commit...
        let seen = store.registry_seen("a");
        let sources_seen = store.registry_cache.lock().expect("cache").new_sources;
        let before = Arc::new(SourceRegistry::new(
            entries_from_chunks(store.registry_chunks("a")).expect("entries"),
        ));
        store.commit_harvest("a", commit(2)).expect("commit");
        store
            .commit_harvest(
                "b",
                HarvestCommit {
                    upserts: vec![entry("b", 3)],
                    ..HarvestCommit::default()
                },
            )
            .expect("commit");
        // ...and would cache them after it.
        store.cache_read_registry("a", before, seen);
        assert_eq!(
            store.registry("a").expect("registry").len(),
            2,
            "the commit's registry"
        );
        assert_eq!(
            store.registry_cache.lock().expect("cache").new_sources,
            sources_seen + 1,
            "a list of sources read before b's first commit is not cached"
        );
        assert_eq!(store.registry_sources().expect("sources"), ["a", "b"]);
        // A read during another source's commit (not a new one) is cached: a long read of
        // a large registry is not left uncached by the small sources' harvests.
        *store.registry_cache.lock().expect("cache") = CachedRegistries::default();
        let seen = store.registry_seen("a");
        let read = Arc::new(SourceRegistry::new(
            entries_from_chunks(store.registry_chunks("a")).expect("entries"),
        ));
        let b = |n: usize| HarvestCommit {
            upserts: vec![entry("b", n)],
            ..HarvestCommit::default()
        };
        store.commit_harvest("b", b(4)).expect("commit");
        store.cache_read_registry("a", read.clone(), seen);
        let cached = store.cached_registry("a").expect("cached");
        assert!(Arc::ptr_eq(&cached, &read));
        assert_eq!(cached.entries.len(), 2);
    }

    /// What a start does before any registry is cached (`collect_garbage`, then a full
    /// index rebuild's `for_each_active_entry`): the same answers as with the registries
    /// cached, and nothing cached by it.
    #[test]
    fn entries_and_orphans_are_read_alike_cached_or_not() {
        let store = CatalogStore::in_memory().expect("store");
        let mut upserts: Vec<RecordEntry> = (0..2_500).map(|n| entry("a", n)).collect();
        upserts[3].state = RecordState::Withdrawn;
        upserts.push(entry("b", 9_000));
        let (a, b): (Vec<_>, Vec<_>) = upserts.into_iter().partition(|e| e.source == "a");
        for (source, upserts) in [("a", a), ("b", b)] {
            let commit = HarvestCommit {
                upserts,
                ..HarvestCommit::default()
            };
            store.commit_harvest(source, commit).expect("commit");
        }
        // Graphs as quads: two that entries name (one withdrawn), two that none does.
        let stored = ["a:1", "a:3", "a:orphan", "b:orphan"];
        for name in stored {
            let quad = Quad::new(
                NamedNode::new_unchecked("https://ex.org/d"),
                NamedNode::new_unchecked("https://ex.org/p"),
                Literal::new_simple_literal("v"),
                NamedNode::new_unchecked(format!("urn:moisson:record:{name}")),
            );
            store.store.insert(&quad).expect("insert");
        }
        let clear = || *store.registry_cache.lock().expect("cache") = CachedRegistries::default();
        let cached_sources = || store.registry_cache.lock().expect("cache").by_source.len();
        let active = |store: &CatalogStore| {
            let mut graphs = Vec::new();
            store
                .for_each_active_entry(|e| {
                    graphs.push(e.graph.clone());
                    Ok::<_, StoreError>(())
                })
                .expect("entries");
            graphs.sort();
            graphs
        };
        clear();
        let uncached = active(&store);
        assert_eq!(cached_sources(), 0, "read a chunk at a time, not cached");
        assert_eq!(uncached.len(), 2_500, "2,499 of a and 1 of b");
        assert!(!uncached.contains(&"urn:moisson:record:a:3".to_owned()));
        let mut expected: Vec<String> = store
            .active_entries()
            .expect("entries")
            .into_iter()
            .map(|e| e.graph)
            .collect();
        expected.sort();
        assert_eq!(uncached, expected);
        assert_eq!(active(&store), expected, "cached now");
        clear();
        assert_eq!(store.collect_garbage().expect("gc"), 2);
        assert_eq!(cached_sources(), 0);
        for (name, kept) in [
            ("a:1", true),
            ("a:3", true),
            ("a:orphan", false),
            ("b:orphan", false),
        ] {
            let graph = format!("urn:moisson:record:{name}");
            assert_eq!(store.graph_exists(&graph).expect("exists"), kept, "{graph}");
        }
        store.registry("a").expect("cached");
        assert_eq!(store.collect_garbage().expect("gc"), 0);
    }

    #[test]
    fn a_source_committed_after_the_list_was_cached_is_found() {
        let store = CatalogStore::in_memory().expect("store");
        let commit = |source: &str, n: usize| HarvestCommit {
            upserts: vec![entry(source, n)],
            ..HarvestCommit::default()
        };
        store.commit_harvest("a", commit("a", 1)).expect("a");
        assert_eq!(store.entries_for_dataset("id1").expect("a").len(), 1);
        store.commit_harvest("b", commit("b", 2)).expect("b");
        assert_eq!(store.entries_for_dataset("id2").expect("b")[0].source, "b");
        assert_eq!(store.active_entries().expect("all").len(), 2);
    }

    #[test]
    fn page_keys_round_trip() {
        for url in ["http://a.b/c?page=2&x=é", "https://x/y z%"] {
            assert_eq!(decode_page_key(&encode_page_key(url)), url);
        }
    }
}
