//! The oxigraph store: record graphs, the record registry, page fingerprints and jobs.
//!
//! Invariants:
//! - A record graph is content-addressed: its name ends with the hash of its content, so
//!   writing it never changes what another version of the record says.
//! - Readers (API, export, search) only see graphs the registry names as active.
//! - The registry of a source changes in exactly one transaction per harvest
//!   ([`CatalogStore::commit_harvest`]); a harvest that fails before that leaves at most
//!   orphan graphs, which [`CatalogStore::collect_garbage`] removes.

mod blob;
pub(crate) use blob::{is_packed, pack_text, unpack_text};
mod compact;
mod export;
mod federated;
mod jobs;
mod registry;
mod sparql_store;
mod subjects;
mod view;
mod vocabularies;
mod writable;
mod writer;

pub use compact::{compact_store, dir_bytes, recover_interrupted_compaction, CompactReport};
pub use export::{ActiveRecord, ActiveSnapshot, DatasetOrder, ExportFormat, ExportWriter};
pub use federated::{catalog_record_iri, source_catalog_iri, Assigned, FederatedWriter};
pub use registry::{order_copies, HarvestCommit, RecordEntry, RecordState, Registry, SourceCounts};
pub use sparql_store::{DescribeSubject, ExtraGraph, PatternStats, SparqlStore, SyncReport};
pub use view::{DatasetView, DistributionView, SourceRef};
pub use writable::writable_term;
pub use writer::{HarvestWriter, RecordWriter, WriteBatch, WriterStats};

use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef};
use oxigraph::store::Store;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::vocab::moisson;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The underlying storage failed (disk, corruption, lock held by another process).
    #[error("store unavailable: {0}")]
    Unavailable(#[from] oxigraph::store::StorageError),
    /// Data read back from the store is not what Moisson wrote.
    #[error("store holds unexpected data: {0}")]
    Corrupt(String),
    /// A task or thread working on the store crashed or stopped (the store itself is
    /// unharmed: nothing half-written is ever visible).
    #[error("store task failed: {0}")]
    Crashed(String),
    /// The caller asked for something the store cannot hold or name (an invalid IRI).
    #[error("{0}")]
    InvalidInput(String),
    /// Writing an export failed.
    #[error("writing export: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Returns a stable code for the error (`unavailable`, `internal`, `invalid_input`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) | Self::Io(_) => "unavailable",
            Self::Corrupt(_) | Self::Crashed(_) => "internal",
            Self::InvalidInput(_) => "invalid_input",
        }
    }
}

/// Tries of [`CatalogStore::open_read_only`] before it gives up.
pub const READ_ONLY_ATTEMPTS: u32 = 5;

/// What writes put in a store's write-ahead log since its last flush, estimated, for
/// writers that commit many transactions without flushing (quality runs, SPARQL store
/// syncs).
///
/// RocksDB removes a log file once every write it holds is flushed to table files, and
/// oxigraph has it keep up to ten removed logs for reuse, each as large as it grew: the
/// bytes written between two flushes are what the logs take on disk, several times over,
/// and what the memtables hold. A quality run of 100,000 records left 107 MB of log (a
/// third of the record store on disk after `bench-search`, and its memtables in memory
/// until the next harvest); flushing every [`LogBudget::BYTES`] keeps each log at ~20 MB.
#[derive(Debug, Default)]
pub(crate) struct LogBudget(AtomicU64);

impl LogBudget {
    /// Estimated bytes of log past which the writer flushes (a soak's quality run of 500
    /// records writes about 1 MB).
    const BYTES: u64 = 8 * 1024 * 1024;

    /// What the log takes for one quad besides its literal: six index keys of 33 to 68
    /// bytes and the dictionary entries of its terms, written again with each quad (`ldb
    /// dump_wal` of a quality run: 4 dictionary puts and 6 index puts a quad).
    const QUAD_BYTES: u64 = 512;

    /// Notes a committed write of `quads` quads with `text_bytes` bytes of literals;
    /// true when the writes since the last [`Self::reset`] call for a flush.
    pub(crate) fn note(&self, quads: usize, text_bytes: usize) -> bool {
        let bytes = (quads as u64)
            .saturating_mul(Self::QUAD_BYTES)
            .saturating_add(text_bytes as u64);
        self.0
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes)
            >= Self::BYTES
    }

    /// Called by every flush, before it starts.
    pub(crate) fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

/// Record IRI → score (0–100) of one source's last quality run.
pub(crate) type RecordScores = HashMap<String, f64>;

/// Record scores of each source's last quality run, as read or written, and how many runs
/// of each source wrote scores in this process: a read from the store is cached only if
/// no run of its source wrote meanwhile (`CatalogStore::cache_read_record_scores`).
#[derive(Debug, Default)]
pub(crate) struct ScoresCache {
    by_source: HashMap<String, Arc<RecordScores>>,
    writes: WriteCounts,
}

/// Writes counted as they reach a read-through cache, per source and in all: a reader
/// notes the count before reading the store and caches what it read only if the count
/// has not moved, so an older read never replaces a newer write. Per source, so that a
/// long read (a 1,000,000-entry registry, its scores) is not left uncached by other
/// sources' writes.
#[derive(Debug, Default)]
pub(crate) struct WriteCounts {
    by_source: HashMap<String, u64>,
    all: u64,
}

impl WriteCounts {
    /// Writes of `source` counted so far.
    pub(crate) fn of(&self, source: &str) -> u64 {
        self.by_source.get(source).copied().unwrap_or(0)
    }

    /// Writes of every source counted so far.
    pub(crate) fn all(&self) -> u64 {
        self.all
    }

    /// Counts a write of `source`.
    pub(crate) fn count(&mut self, source: &str) {
        self.all += 1;
        *self.by_source.entry(source.to_owned()).or_default() += 1;
    }
}

/// One lock per key (a source, a page's scope), made at its first use and kept: work on
/// one key takes turns while work on others runs.
#[derive(Debug, Default)]
pub(crate) struct Turns(Mutex<HashMap<String, Arc<Mutex<()>>>>);

impl Turns {
    /// The lock of `key`.
    pub(crate) fn of(&self, key: &str) -> Arc<Mutex<()>> {
        let mut turns = self.0.lock().unwrap_or_else(|e| e.into_inner());
        turns.entry(key.to_owned()).or_default().clone()
    }
}

/// The catalogue store: an oxigraph store plus Moisson's registry conventions.
#[derive(Clone)]
pub struct CatalogStore {
    store: Store,
    /// Bumped by every registry change, so cached views of the registry know they are stale.
    registry_generation: Arc<AtomicU64>,
    /// The last snapshot of the active records, with the generation it was read at.
    active_cache: Arc<Mutex<Option<Arc<ActiveSnapshot>>>>,
    /// Registries read so far, per source (see [`registry`]).
    registry_cache: Arc<registry::RegistryCache>,
    /// Record scores of each source's last quality run, per source, as read or written.
    record_scores: Arc<Mutex<ScoresCache>>,
    /// The duplicate keys (as 64-bit prints: `quality::source::duplicate_index`) of the
    /// active record graphs as last read by a quality run (graphs are content-addressed,
    /// so they never go stale): a source's run then reads only the records that changed,
    /// not every record of every source.
    key_prints: Arc<Mutex<crate::quality::KeptKeys>>,
    /// One lock per source, held by its quality runs from their first read to their last
    /// write: two runs of one source at once (a link check's recomputation beside the
    /// next harvest's run) would each remove the same old summaries and add their own,
    /// oxigraph's transactions detecting no conflict.
    quality_turns: Arc<Turns>,
    /// Where the kept duplicate keys are written for the next process (`{store}.keys`,
    /// beside the store's folder; none in memory), and whether this process has read it.
    key_prints_file: Option<Arc<PathBuf>>,
    key_prints_read: Arc<AtomicBool>,
    /// The producers last grouped from the record summaries (`CatalogStore::producers`),
    /// with what they were grouped from; held while a grouping runs, so concurrent
    /// requests wait for one grouping instead of each reading every summary.
    pub(crate) producers: Arc<Mutex<crate::publishers::ProducersCache>>,
    /// The lists of records to fix last read for pages (`quality::fix_cache`).
    pub(crate) fix_lists: Arc<Mutex<crate::quality::FixListsCache>>,
    /// Opened with [`CatalogStore::open_read_only`]: nothing is ever written, not even
    /// the caches some reads keep in the store (SHACL results, quality runs).
    read_only: bool,
    /// Whether reads that must see several quads as of one instant take a snapshot
    /// ([`Self::snapshot`]): only on disk and for writing (a read-only open sees the
    /// store as it was when it opened; the in-memory store's transactions lock every
    /// other one out, so a reader calling a writer back would wait for itself).
    snapshots: bool,
    /// Held by every flush: RocksDB can lose a manual flush request when two threads flush
    /// the same column family at once (the second one's memtable is never scheduled, and
    /// its caller waits forever: seen under load at the end of the demo's concurrent
    /// harvests, 2 runs of 30), so flushes of this store go one at a time.
    flush_lock: Arc<Mutex<()>>,
    /// Bytes of texts written since the last flush by writers that do not flush on their
    /// own (quality runs: SHACL results, summaries, reports): see [`Self::wrote`].
    unflushed: Arc<LogBudget>,
    /// Held by every commit that retires compact copies and by every purge of retired
    /// copies: oxigraph's transactions read a snapshot and detect no conflict, so a purge
    /// that decided from its snapshot could remove a copy a commit retires at the same
    /// moment (the SPARQL store then finds nothing to read and rebuilds itself whole).
    retire_lock: Arc<Mutex<()>>,
}

impl CatalogStore {
    /// Opens (or creates) the on-disk store in `dir` (RocksDB).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let store = Self {
            key_prints_file: Some(Arc::new(Self::key_prints_path(dir))),
            snapshots: true,
            ..Self::over(Store::open(dir)?)
        };
        store.migrate_registry()?;
        // What an earlier process left in the write-ahead log goes to table files now.
        store.flush_log();
        Ok(store)
    }

    /// Moves the writes kept in memory and in the write-ahead log to table files.
    ///
    /// Every read-only open (one per SPARQL query: `moisson sparql-worker`, and the CLI
    /// next to `serve`) replays the whole log into memory before its first read: at
    /// 100,000 records a harvest left 166 MB of log, replayed in ~4 s and ~400 MB per
    /// query. So the writer flushes after each harvest commit and when it opens the
    /// store; the log then holds only the small writes since (jobs, quality, links).
    /// A failed flush loses nothing (the log still holds the writes): it is logged.
    pub(crate) fn flush_log(&self) {
        if self.read_only {
            return;
        }
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "flushing the store's write-ahead log failed");
        }
    }

    /// Opens the on-disk store in `dir` for reading only, next to the process that holds
    /// it for writing (`moisson serve`): it sees the data as they were when it opened.
    /// Writes fail, and reads that would keep a cache in the store keep none.
    ///
    /// A compaction by the writer can remove a file between the moment the manifest is
    /// read and the moment the file is opened: the open is then tried again, up to
    /// [`READ_ONLY_ATTEMPTS`] times.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let store = open_read_only_retrying(dir)?;
        Ok(Self {
            read_only: true,
            key_prints_file: Some(Arc::new(Self::key_prints_path(dir))),
            ..Self::over(store)
        })
    }

    /// Returns true when the store was opened with [`CatalogStore::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Returns a new in-memory store, for tests and offline validation.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::over(Store::new()?))
    }

    fn over(store: Store) -> Self {
        Self {
            store,
            registry_generation: Arc::new(AtomicU64::new(0)),
            registry_cache: Arc::default(),
            record_scores: Arc::default(),
            key_prints: Arc::default(),
            quality_turns: Arc::default(),
            key_prints_file: None,
            key_prints_read: Arc::default(),
            producers: Arc::default(),
            fix_lists: Arc::default(),
            active_cache: Arc::new(Mutex::new(None)),
            read_only: false,
            snapshots: false,
            flush_lock: Arc::default(),
            unflushed: Arc::default(),
            retire_lock: Arc::default(),
        }
    }

    /// Returns a number that changes whenever the registry changes in this process (the
    /// store is opened by one process at a time, so it identifies the registry's state).
    pub fn registry_generation(&self) -> u64 {
        self.registry_generation.load(Ordering::Acquire)
    }

    pub(crate) fn cached_record_scores(&self, source: &str) -> Option<Arc<RecordScores>> {
        self.record_scores
            .lock()
            .ok()?
            .by_source
            .get(source)
            .cloned()
    }

    /// Caches the scores a quality run of `source` just wrote.
    pub(crate) fn cache_record_scores(&self, source: &str, scores: Arc<RecordScores>) {
        if let Ok(mut cache) = self.record_scores.lock() {
            cache.writes.count(source);
            cache.by_source.insert(source.to_owned(), scores);
        }
    }

    /// What [`Self::cache_read_record_scores`] is given, taken before reading the stored
    /// scores of `source`.
    pub(crate) fn record_scores_seen(&self, source: &str) -> Option<u64> {
        let cache = self.record_scores.lock().ok()?;
        Some(cache.writes.of(source))
    }

    /// Caches scores of `source` read from the store, unless a quality run of `source`
    /// wrote scores since `seen` ([`Self::record_scores_seen`]): the read may then be
    /// older than what the run cached, which it would replace until the next run.
    pub(crate) fn cache_read_record_scores(
        &self,
        source: &str,
        scores: Arc<RecordScores>,
        seen: Option<u64>,
    ) {
        if let Ok(mut cache) = self.record_scores.lock() {
            if Some(cache.writes.of(source)) == seen {
                cache.by_source.insert(source.to_owned(), scores);
            }
        }
    }

    /// The file of kept duplicate keys of the store in `dir`: `{dir}.keys`, beside it.
    pub fn key_prints_path(dir: &Path) -> PathBuf {
        let mut name = dir.as_os_str().to_owned();
        name.push(".keys");
        PathBuf::from(name)
    }

    /// The lock of `source`'s quality runs (see `quality_turns`).
    pub(crate) fn quality_turn(&self, source: &str) -> Arc<Mutex<()>> {
        self.quality_turns.of(source)
    }

    /// The duplicate keys kept by the last quality run (see `key_prints`), held by a run
    /// until it is done with them: runs of several sources use them one after the other
    /// (a run that found them taken by another read every record's identifiers again: 34 s
    /// at 1,000,000 records). The first use in a process reads what the last process
    /// wrote (`{store}.keys`), if anything: a file that is not readable is logged and
    /// left, and the run reads every record's identifiers.
    pub(crate) fn kept_keys(&self) -> std::sync::MutexGuard<'_, crate::quality::KeptKeys> {
        // A run that panicked left keys that are each right, some merely not stamped.
        let mut cache = self.key_prints.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &self.key_prints_file {
            if !self.key_prints_read.swap(true, Ordering::AcqRel) {
                if !self.read_only {
                    remove_stale_key_files(path);
                }
                if cache.records() == 0 {
                    match crate::quality::KeptKeys::read_from(path) {
                        Ok(Some(read)) => *cache = read,
                        Ok(None) => {}
                        Err(error) => tracing::warn!(
                            path = %path.display(), %error,
                            "the kept duplicate keys are not readable: every record's identifiers are read again"
                        ),
                    }
                }
            }
        }
        cache
    }

    /// Writes the kept duplicate keys for the next process once the records read or
    /// dropped since they were last written reach 1 % of those kept (a run after a few
    /// changes in a large store writes nothing; a start then reads at most that 1 % again).
    pub(crate) fn save_kept_keys(&self, prints: &mut crate::quality::KeptKeys) {
        let unsaved = prints.unsaved();
        if let (Some(path), false) = (&self.key_prints_file, self.read_only) {
            if unsaved > 0 && unsaved.saturating_mul(100) >= prints.records() {
                match prints.write_to(path) {
                    Ok(()) => prints.mark_saved(),
                    Err(error) => tracing::warn!(
                        path = %path.display(), %error,
                        "writing the kept duplicate keys failed: the next start reads every record's identifiers"
                    ),
                }
            }
        }
    }

    pub(crate) fn registry_changed(&self) {
        self.registry_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Returns the underlying oxigraph store (read access for SPARQL and exports).
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// Returns a writer for the record graphs of one whole harvest (see [`HarvestWriter`]).
    pub fn harvest_writer(&self) -> Result<HarvestWriter, StoreError> {
        HarvestWriter::spawn(self.store.clone())
    }

    /// Returns a writer that loads record graphs in batches.
    pub fn record_writer(&self) -> RecordWriter<'_> {
        RecordWriter::new(&self.store)
    }

    /// Returns the number of quads in the store (all graphs).
    pub fn quad_count(&self) -> Result<usize, StoreError> {
        Ok(self.store.len()?)
    }

    /// A snapshot to read several quads as of one instant from (a transaction never
    /// committed), or `None` where the store's plain reads must do (see `snapshots`).
    pub(crate) fn snapshot(&self) -> Result<Option<oxigraph::store::Transaction<'_>>, StoreError> {
        Ok(if self.snapshots {
            Some(self.store.start_transaction()?)
        } else {
            None
        })
    }

    /// Flushes memtables to disk (one flush at a time: see `flush_lock`).
    pub fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.flush_lock.lock().unwrap_or_else(|e| e.into_inner());
        // Counted before the flush: what is written during it is flushed by the next one.
        self.unflushed.reset();
        Ok(self.store.flush()?)
    }

    /// Notes a committed write of `quads` quads holding `text_bytes` bytes of literals,
    /// and flushes once the writes since the last flush fill a [`LogBudget`].
    ///
    /// A write stays in RocksDB's memtables (memory) and its write-ahead log (disk) until a
    /// flush. Harvest commits flush, but the first quality run of 100,000 records wrote
    /// 107 MB of log (SHACL results, summaries, reports) that stayed there.
    pub(crate) fn wrote(&self, quads: usize, text_bytes: usize) {
        if self.unflushed.note(quads, text_bytes) {
            self.flush_log();
        }
    }
}

/// Removes the temporary files of kept keys (`{keys}.{pid}-{n}.tmp`) another process left
/// when it stopped halfway through writing them.
fn remove_stale_key_files(keys: &Path) {
    let (Some(dir), Some(name)) = (keys.parent(), keys.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let (theirs, ours) = (
        format!("{name}."),
        format!("{name}.{}-", std::process::id()),
    );
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        if file.starts_with(&theirs) && file.ends_with(".tmp") && !file.starts_with(&ours) {
            if let Err(error) = std::fs::remove_file(entry.path()) {
                tracing::warn!(path = %entry.path().display(), %error, "removing a stale temporary file of kept keys");
            }
        }
    }
}

/// Opens the oxigraph store in `dir` read-only, trying again up to [`READ_ONLY_ATTEMPTS`]
/// times when a compaction by the writer removed a file between reading the manifest and
/// opening it (the record store and the SPARQL store alike).
pub(crate) fn open_read_only_retrying(dir: &Path) -> Result<Store, StoreError> {
    let mut attempt = 1;
    loop {
        match Store::open_read_only(dir) {
            Ok(store) => return Ok(store),
            Err(e) if attempt >= READ_ONLY_ATTEMPTS => return Err(e.into()),
            Err(e) => {
                tracing::debug!(error = %e, attempt, "read-only open failed; trying again");
                std::thread::sleep(std::time::Duration::from_millis(100 * attempt as u64));
                attempt += 1;
            }
        }
    }
}

pub(crate) fn meta_graph() -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(moisson::META_GRAPH))
}

pub(crate) fn named(iri: &'static str) -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(iri)
}

/// Returns the graph name of version `content_hash` of record `record_iri` of `source`.
///
/// ```
/// use moisson_catalog::store::record_graph_name;
/// let g = record_graph_name("ddt-29", "https://example.org/jdd/1", "abc");
/// assert!(g.as_str().starts_with("urn:moisson:record:ddt-29:"));
/// assert!(g.as_str().ends_with(":abc"));
/// ```
pub fn record_graph_name(source: &str, record_iri: &str, content_hash: &str) -> NamedNode {
    let key = blake3::hash(record_iri.as_bytes()).to_hex();
    NamedNode::new_unchecked(format!(
        "{}{source}:{}:{content_hash}",
        moisson::RECORD_GRAPH_PREFIX,
        &key[..20]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JobReport, JobStatus, SourceId};

    #[test]
    fn a_read_only_handle_reads_next_to_the_writer_and_never_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let writer = CatalogStore::open(dir.path()).expect("open for writing");
        let mut job = JobReport::start(&SourceId::new("ddt-29").expect("valid id"));
        job.finish(JobStatus::Ok, None);
        writer.save_job(&job).expect("save job");
        writer.flush().expect("flush");
        // The writer still holds RocksDB's lock.
        let reader = CatalogStore::open_read_only(dir.path()).expect("open read-only");
        assert!(reader.is_read_only() && !writer.is_read_only());
        assert_eq!(reader.jobs("ddt-29", 10).expect("jobs"), vec![job.clone()]);
        let quads = reader.quad_count().expect("count");
        assert_eq!(reader.load_vocabularies().expect("skipped"), 0);
        assert!(reader.save_job(&job).is_err());
        assert_eq!(reader.quad_count().expect("count"), quads);
    }
}
