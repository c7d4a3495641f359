//! The tantivy index under `data_dir/index`: open or create, full rebuild from the store,
//! incremental update of the datasets a harvest changed.
//!
//! Invariants:
//! - One writer, behind a mutex: rebuilds and updates never interleave.
//! - A rebuild replaces every document in one commit; readers see the old index until
//!   the commit, then the new one.
//! - An update recomputes whole groups: every record sharing a key with a changed record
//!   is re-read from the store, so merging and splitting duplicates stays correct.

use moisson_catalog::vocab::{vocabularies, Vocabularies};
use moisson_catalog::{Assigned, CatalogStore, DatasetView, RecordEntry, Registry, StoreError};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;
use tantivy::collector::DocSetCollector;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, Warmer};

use crate::analyzer;
use crate::classify::{Classification, SourceContexts};
use crate::document::{
    build_document, dedup_keys, group, group_records, key_print, KeyPrint, KeyPrints, Record,
    SearchDocument, Summary,
};
use crate::entries::EntryTable;
use crate::facet_table::FacetTables;
use crate::schema::{self, Fields, SCHEMA_VERSION};

/// Why the index could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index files could not be read or written.
    #[error("search index unavailable: {0}")]
    Unavailable(String),
    /// The index engine failed (its error kept as the source).
    #[error("search index unavailable: {0}")]
    Engine(#[from] tantivy::TantivyError),
    /// Reading or writing the index directory failed.
    #[error("search index unavailable: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request is not valid (unknown filter value, bad page…).
    #[error("{0}")]
    InvalidInput(String),
}

impl SearchError {
    /// Returns a stable code (`unavailable`, `invalid_input`, `internal`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) | Self::Engine(_) | Self::Io(_) => "unavailable",
            Self::Store(e) => e.code(),
            Self::InvalidInput(_) => "invalid_input",
        }
    }
}

/// What a rebuild or update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Records read from the store.
    pub records: u64,
    /// Documents written.
    pub documents: u64,
    /// Dataset ids whose documents were deleted (update only).
    pub deleted: u64,
    /// Wall time in milliseconds.
    pub millis: u64,
}

/// The search index.
pub struct SearchIndex {
    pub(crate) reader: IndexReader,
    /// `None` when opened read-only, next to the process that writes the index.
    writer: Option<Mutex<IndexWriter>>,
    pub(crate) fields: Fields,
    dir: Option<PathBuf>,
    /// Answers and facet counts of recent searches (see [`crate::cache`]).
    pub(crate) cache: crate::cache::SearchCache,
    /// Each segment's facet values in memory, for counting (see [`crate::facet_table`]);
    /// built when a searcher generation is warmed.
    pub(crate) facet_tables: Arc<FacetTables>,
    /// Searches computing at once: one more than the cores, first come first served (see
    /// [`crate::gate`]).
    pub(crate) gate: crate::gate::Gate,
}

/// Answers (and facet counts) kept per searcher generation.
const CACHED_SEARCHES: usize = 1024;

const VERSION_FILE: &str = "moisson-schema-version";
/// Memory of tantivy's writer in all, split evenly between its threads (each writes a
/// segment out when its share is full): with the documents waiting in its queue (at most
/// 10,000, tantivy's bound), what indexing holds besides the rebuild's own tables. A
/// rebuild of 1,000,000 records makes about ten segments with it, merged at the end.
const WRITER_MEMORY_BYTES: usize = 128 * 1024 * 1024;
/// Groups each thread builds between two hand-overs to the writer in a full rebuild.
const REBUILD_BATCH_PER_THREAD: usize = 256;
/// Records each thread reads the keys of between two hand-overs in a full rebuild.
const KEYS_BATCH_PER_THREAD: usize = 4096;

/// Where a full rebuild reads the active records from.
pub trait RecordSource: Sync {
    /// Calls `each` with the registry entry of every active record, in any order (a
    /// rebuild numbers them by source, then record IRI).
    fn each_active_entry(
        &self,
        each: &mut dyn FnMut(&RecordEntry) -> Result<(), SearchError>,
    ) -> Result<(), SearchError>;
    /// Returns the view of the record of `entry` (for its deduplication keys).
    fn view_of(&self, entry: &RecordEntry) -> Result<DatasetView, SearchError>;
    /// Returns the record of `entry`, as documents are built from it.
    fn record(&self, entry: RecordEntry) -> Result<Record, SearchError>;
}

impl RecordSource for CatalogStore {
    fn each_active_entry(
        &self,
        each: &mut dyn FnMut(&RecordEntry) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        self.for_each_active_entry(each)
    }

    fn view_of(&self, entry: &RecordEntry) -> Result<DatasetView, SearchError> {
        Ok(CatalogStore::view_of(self, entry)?)
    }

    fn record(&self, entry: RecordEntry) -> Result<Record, SearchError> {
        Ok(Record::read(self, entry)?)
    }
}

/// Applies `f` to every item of `items` on up to `threads` threads (contiguous shares,
/// the calling thread taking the first), and returns the results in the items' order.
/// A panic in `f` is carried to the caller.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: &(impl Fn(&T) -> R + Sync),
) -> Vec<R> {
    let share = items.len().div_ceil(threads.max(1)).max(1);
    if threads <= 1 || items.len() <= share {
        return items.iter().map(f).collect();
    }
    let mut chunks = items.chunks(share);
    let first = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let others: Vec<_> = chunks
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = first.iter().map(f).collect();
        for handle in others {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Logs the resident memory of this process at the end of a phase of a rebuild, with the
/// number of items (records, groups, documents) it handled.
fn log_memory(phase: &'static str, items: usize) {
    let r = moisson_catalog::resident::Resident::now();
    tracing::info!(
        phase,
        items,
        rss_mib = r.rss_mib as u64,
        anon_mib = r.anon_mib as u64,
        file_mib = r.file_mib as u64,
        peak_mib = r.peak_mib as u64,
        "search index rebuild memory"
    );
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates it when missing or written by an incompatible
    /// version. Returns the index and whether it is new (and so must be rebuilt).
    pub fn open_or_create(dir: &Path) -> Result<(Self, bool), SearchError> {
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).ok();
        if version.as_deref().map(str::trim) == Some(SCHEMA_VERSION) {
            match Self::open_existing(dir) {
                Ok(index) => return Ok((index, false)),
                Err(e) => tracing::warn!(error = %e, "search index unreadable, rebuilding"),
            }
        } else if dir.join("meta.json").is_file() {
            tracing::warn!(found = ?version, expected = SCHEMA_VERSION, "search index incompatible, rebuilding");
        }
        Self::create_fresh(dir).map(|index| (index, true))
    }

    /// Opens the index in `dir` for searching only, without taking the writer's lock held
    /// by the process that serves it (`moisson serve`); rebuilds and updates then fail.
    /// A missing or incompatible index is an error here, never rebuilt.
    pub fn open_read_only(dir: &Path) -> Result<Self, SearchError> {
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).ok();
        if version.as_deref().map(str::trim) != Some(SCHEMA_VERSION) {
            return Err(SearchError::Unavailable(format!(
                "no usable search index in {} (it is rebuilt by `moisson reindex` or at the next start of `moisson serve`)",
                dir.display()
            )));
        }
        let index = Index::open_in_dir(dir)?;
        Self::with_writer(index, Some(dir.to_owned()), false)
    }

    /// Returns an index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, _) = schema::build();
        Self::from_index(Index::create_in_ram(schema), None)
    }

    fn open_existing(dir: &Path) -> Result<Self, SearchError> {
        let index = Index::open_in_dir(dir)?;
        Self::from_index(index, Some(dir.to_owned()))
    }

    fn create_fresh(dir: &Path) -> Result<Self, SearchError> {
        if dir.is_dir() {
            // Only our own files live here: remove the old index entirely.
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let (schema, _) = schema::build();
        let directory =
            MmapDirectory::open(dir).map_err(|e| SearchError::Unavailable(e.to_string()))?;
        let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
        std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION)?;
        Self::from_index(index, Some(dir.to_owned()))
    }

    fn from_index(index: Index, dir: Option<PathBuf>) -> Result<Self, SearchError> {
        Self::with_writer(index, dir, true)
    }

    fn with_writer(
        index: Index,
        dir: Option<PathBuf>,
        writable: bool,
    ) -> Result<Self, SearchError> {
        index
            .tokenizers()
            .register(analyzer::FRENCH, analyzer::french());
        let fields = schema::fields_of(&index.schema())?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let writer = if writable {
            Some(Mutex::new(
                index.writer_with_num_threads(threads, WRITER_MEMORY_BYTES)?,
            ))
        } else {
            None
        };
        let facet_tables = Arc::new(FacetTables::new("facets"));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![Arc::downgrade(&facet_tables) as Weak<dyn Warmer>])
            .try_into()?;
        Ok(Self {
            reader,
            writer,
            fields,
            dir,
            cache: crate::cache::SearchCache::new(CACHED_SEARCHES),
            facet_tables,
            gate: crate::gate::Gate::per_core(),
        })
    }

    /// The searches computing now and those waiting their turn (see [`crate::gate`]).
    pub fn search_load(&self) -> (u64, u64) {
        self.gate.load()
    }

    /// Returns the directory of the index (`None` in memory).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Keeps at most `entries` answers (and facet counts) until the index changes; 0 turns
    /// the cache off.
    pub fn set_cache_capacity(&self, entries: usize) {
        self.cache.set_capacity(entries);
    }

    /// Returns the hit counts of the search cache since start.
    pub fn cache_stats(&self) -> crate::cache::CacheStats {
        self.cache.stats()
    }

    /// Returns the number of documents searchable now.
    pub fn document_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Returns the size of the index files in bytes (0 in memory).
    pub fn size_bytes(&self) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(std::fs::Metadata::is_file)
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer
            .as_ref()
            .ok_or_else(|| SearchError::Unavailable("the search index is open read-only".into()))?
            .lock()
            .map_err(|_| SearchError::Unavailable("index writer poisoned by a panic".into()))
    }

    /// Merges every segment into one and makes it searchable. A rebuild of 1,000,000
    /// documents leaves about ten segments, and every query sets up its scorers in each
    /// (a fifth of a search's time at that size); incremental updates then add small ones,
    /// which tantivy's merge policy folds in.
    fn merge_segments(&self) -> Result<(), SearchError> {
        let mut writer = self.lock_writer()?;
        let segments = writer.index().searchable_segment_ids()?;
        if segments.len() > 1 {
            let started = Instant::now();
            writer.merge(&segments).wait()?;
            tracing::info!(
                segments = segments.len(),
                millis = started.elapsed().as_millis() as u64,
                "search index segments merged"
            );
        }
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds one document per group of records, commits and makes the result searchable;
    /// returns the number of documents written.
    fn write_groups(
        &self,
        mut writer: std::sync::MutexGuard<'_, IndexWriter>,
        groups: impl Iterator<Item = Result<Vec<Record>, SearchError>>,
        vocab: &Vocabularies,
        sources: &SourceContexts,
        now: i64,
    ) -> Result<u64, SearchError> {
        let mut documents = 0u64;
        for records in groups {
            let document = build_document(&records?, vocab, sources, now);
            writer.add_document(self.to_tantivy(&document))?;
            documents += 1;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(documents)
    }

    /// Replaces every document with documents built from the store's active records.
    pub fn rebuild(
        &self,
        store: &CatalogStore,
        sources: &SourceContexts,
    ) -> Result<IndexStats, SearchError> {
        self.rebuild_from(store, sources)
    }

    /// Replaces every document with documents built from the active records `records`
    /// gives: the store in [`Self::rebuild`], generated records in the benchmarks that
    /// build an index of a size no store here can hold. Memory (see ARCHITECTURE.md,
    /// « Memory budget »): the registry entries of every record, compact
    /// ([`crate::entries`]), and the print of every deduplication key until records are
    /// grouped; records are read twice (keys, then documents) and dropped batch by batch;
    /// the writer's budget; every table is dropped before the commit and the merge.
    pub fn rebuild_from(
        &self,
        records: &impl RecordSource,
        sources: &SourceContexts,
    ) -> Result<IndexStats, SearchError> {
        let started = Instant::now();
        // Datasets, series and data services alike: a WMS or WFS service is found by its
        // theme and words too, and told apart by the `kind` filter.
        let mut entries = EntryTable::default();
        records.each_active_entry(&mut |entry| entries.push(entry))?;
        entries.finish();
        let record_count = entries.len();
        if u32::try_from(record_count).is_err() {
            return Err(SearchError::Unavailable(format!(
                "{record_count} records: more than one index holds"
            )));
        }
        log_memory("entries loaded", record_count);
        // Pass 1: keys of every record, to find duplicates without keeping every view.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let keys_of = |&i: &usize| -> Result<Vec<KeyPrint>, SearchError> {
            let view = records.view_of(&entries.entry(i))?;
            Ok(dedup_keys(&view).iter().map(|k| key_print(k)).collect())
        };
        let mut keys = KeyPrints::default();
        for start in (0..record_count).step_by(KEYS_BATCH_PER_THREAD * threads) {
            let end = (start + KEYS_BATCH_PER_THREAD * threads).min(record_count);
            let batch: Vec<usize> = (start..end).collect();
            for prints in in_parallel(&batch, threads, &keys_of) {
                keys.push(prints?);
            }
        }
        log_memory("keys read", record_count);
        let groups = group_records(record_count, |i| entries.dataset_id(i), &keys);
        drop(keys);
        log_memory("grouped", groups.len());
        // Pass 2: one document per group. Reading, classifying and building documents is
        // most of the work: batches of groups are built on every core, in order, while the
        // writer's own threads index what is already built.
        let now = chrono::Utc::now().timestamp();
        let vocab = vocabularies();
        let mut writer = self.lock_writer()?;
        writer.delete_all_documents()?;
        let build = |&g: &usize| -> Result<TantivyDocument, SearchError> {
            let group = groups
                .members(g)
                .iter()
                .map(|&i| records.record(entries.entry(i as usize)))
                .collect::<Result<Vec<_>, SearchError>>()?;
            Ok(self.to_tantivy(&build_document(&group, vocab, sources, now)))
        };
        let mut documents = 0u64;
        let batch_len = REBUILD_BATCH_PER_THREAD * threads;
        for start in (0..groups.len()).step_by(batch_len) {
            let batch: Vec<usize> = (start..(start + batch_len).min(groups.len())).collect();
            for document in in_parallel(&batch, threads, &build) {
                writer.add_document(document?)?;
                documents += 1;
                if documents.is_multiple_of(100_000) {
                    log_memory("documents built", documents as usize);
                }
            }
        }
        drop(groups);
        drop(entries);
        log_memory("documents built", documents as usize);
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        log_memory("committed", documents as usize);
        self.merge_segments()?;
        log_memory("merged", documents as usize);
        let stats = IndexStats {
            records: record_count as u64,
            documents,
            deleted: 0,
            millis: started.elapsed().as_millis() as u64,
        };
        tracing::info!(
            records = stats.records,
            documents,
            millis = stats.millis,
            "search index rebuilt"
        );
        Ok(stats)
    }

    /// Re-indexes the datasets `changed` (dataset ids whose records were added, changed,
    /// withdrawn or purged), with every record that shares a document or a key with them.
    pub fn update(
        &self,
        store: &CatalogStore,
        sources: &SourceContexts,
        changed: &[String],
    ) -> Result<IndexStats, SearchError> {
        let started = Instant::now();
        if changed.is_empty() {
            return Ok(IndexStats::default());
        }
        let searcher = self.reader.searcher();
        let mut ids: BTreeSet<String> = changed.iter().cloned().collect();
        let mut loaded: HashSet<String> = HashSet::new();
        let mut keys_seen: HashSet<String> = HashSet::new();
        let mut records: Vec<Record> = Vec::new();
        for _round in 0..16 {
            let pending: Vec<String> = ids
                .iter()
                .filter(|i| !loaded.contains(*i))
                .cloned()
                .collect();
            if pending.is_empty() {
                break;
            }
            let mut new_keys: Vec<String> = Vec::new();
            for id in &pending {
                loaded.insert(id.clone());
                for entry in store.entries_for_dataset(id)? {
                    let record = Record::read(store, entry)?;
                    for k in dedup_keys(&record.view) {
                        if keys_seen.insert(k.clone()) {
                            new_keys.push(k);
                        }
                    }
                    records.push(record);
                }
                for member in self.members_where(&searcher, self.fields.member, id)? {
                    ids.insert(member);
                }
            }
            for key in &new_keys {
                for member in self.members_where(&searcher, self.fields.key, key)? {
                    ids.insert(member);
                }
            }
        }
        let now = chrono::Utc::now().timestamp();
        let vocab = vocabularies();
        let writer = self.lock_writer()?;
        for id in &ids {
            writer.delete_term(Term::from_field_text(self.fields.member, id));
        }
        let record_count = records.len() as u64;
        let groups = group(records).into_iter().map(Ok);
        let documents = self.write_groups(writer, groups, vocab, sources, now)?;
        let stats = IndexStats {
            records: record_count,
            documents,
            deleted: ids.len() as u64,
            millis: started.elapsed().as_millis() as u64,
        };
        tracing::info!(
            changed = changed.len(),
            records = stats.records,
            documents,
            millis = stats.millis,
            "search index updated"
        );
        Ok(stats)
    }

    /// Returns the member dataset ids of the documents whose `field` holds `value`.
    fn members_where(
        &self,
        searcher: &tantivy::Searcher,
        field: tantivy::schema::Field,
        value: &str,
    ) -> Result<Vec<String>, SearchError> {
        let query = TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(&query, &DocSetCollector)?;
        let mut out = Vec::new();
        for address in found.into_iter().take(10_000) {
            if let Some(summary) = self.summary_at(searcher, address)? {
                out.push(summary.id.clone());
                out.extend(summary.duplicates);
            }
        }
        Ok(out)
    }

    /// Reads the stored summary of a document.
    pub(crate) fn summary_at(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<Option<Summary>, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let Some(json) = doc.get_first(self.fields.summary).and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        Ok(serde_json::from_str(json).ok())
    }

    /// Returns the classification (with its reasons) the index computed for the document
    /// holding dataset `id`: the one its facets count.
    pub fn classification_of(&self, id: &str) -> Result<Option<Classification>, SearchError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.member, id),
            IndexRecordOption::Basic,
        );
        let Some(address) = searcher
            .search(&query, &DocSetCollector)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(doc
            .get_first(self.fields.classification)
            .and_then(|v| v.as_str())
            .and_then(|json| serde_json::from_str(json).ok()))
    }

    /// Returns the summary of the document holding dataset `id` (as its id or a member).
    pub fn summary_of(&self, id: &str) -> Result<Option<Summary>, SearchError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.member, id),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(&query, &DocSetCollector)?;
        match found.into_iter().next() {
            Some(address) => self.summary_at(&searcher, address),
            None => Ok(None),
        }
    }

    /// What Moisson assigned dataset `id` (themes, use cases and territories, as IRIs with
    /// French labels), as the index computed it: what `/catalog`, `moisson export` and the
    /// dataset pages publish; data services are classified like datasets.
    pub fn assigned(&self, id: &str) -> Result<Assigned, SearchError> {
        let Some(summary) = self.summary_of(id)? else {
            return Ok(Assigned::default());
        };
        let (concepts, places) = summary.assigned();
        Ok(Assigned {
            themes: concepts.map(|c| (c.iri.clone(), c.label.clone())).collect(),
            territories: places.map(|p| (p.iri(), p.name.clone())).collect(),
        })
    }

    fn to_tantivy(&self, d: &SearchDocument) -> TantivyDocument {
        let f = &self.fields;
        let summary = serde_json::to_string(&d.summary).expect("a summary always serializes");
        let classification =
            serde_json::to_string(&d.classification).expect("a classification always serializes");
        let mut document = doc!(
            f.id => d.id.as_str(),
            f.title => d.title.as_str(),
            f.keywords => d.keywords.as_str(),
            f.description => d.description.as_str(),
            f.context => d.context.as_str(),
            f.summary => summary,
            f.classification => classification,
        );
        for m in &d.members {
            document.add_text(f.member, m);
        }
        for k in &d.keys {
            document.add_text(f.key, k);
        }
        for (dim, value) in &d.facets {
            document.add_facet(f.facets, Facet::from_path([*dim, value.as_str()]));
        }
        if let Some(m) = d.modified {
            document.add_i64(f.modified, m);
        }
        if let Some(q) = d.quality {
            document.add_f64(f.quality, q);
        }
        document.add_u64(f.order, schema::order_key(&d.id));
        document
    }
}

/// Returns the dataset ids whose registry entries differ between `before` and `after`
/// (registries of one source keyed by record IRI): added, new version, withdrawn,
/// restored or purged.
pub fn changed_datasets(before: &Registry, after: &Registry) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for (iri, entry) in after.iter() {
        match before.get(iri) {
            Some(old) if old.graph == entry.graph && old.state == entry.state => {}
            _ => {
                out.insert(entry.dataset_id.clone());
            }
        }
    }
    for (iri, old) in before.iter() {
        if !after.contains_key(iri) {
            out.insert(old.dataset_id.clone());
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in the items' order, whatever the number of threads, and a
    /// panic in one share reaches the caller.
    #[test]
    fn in_parallel_keeps_the_order_of_items() {
        for threads in 1..=5 {
            for n in [0usize, 1, 2, 3, 7, 64, 513] {
                let items: Vec<usize> = (0..n).collect();
                let out = in_parallel(&items, threads, &|i: &usize| i * 3);
                assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
            }
        }
        let items: Vec<usize> = (0..100).collect();
        let caught = std::panic::catch_unwind(|| {
            in_parallel(&items, 2, &|i: &usize| {
                assert!(*i != 90, "item 90");
                *i
            })
        });
        assert!(caught.is_err());
    }
}
