//! The SPARQL store: a second oxigraph store, derived from the record store like the search
//! index, that holds exactly what SPARQL queries may see, so that oxigraph evaluates them
//! natively (on its internal term ids).
//!
//! Why: evaluating over the record store needs a reachability test per quad read, and the
//! record store's only public reading API decodes every quad into strings (up to four
//! dictionary reads each). Measured at 100,000 records (issue 19), native evaluation over
//! a store holding only reachable graphs answered the slow queries of `moisson
//! bench-sparql` 6 to 38 times faster.
//!
//! Layout: the triples of every active record graph are the store's **default graph**
//! (oxigraph keeps three indexes of it, against six for named graphs: at 100,000 datasets
//! 788 MB instead of 1,857 MB when each record graph was a named graph); the vocabulary
//! graphs and the graphs the caller materializes are named graphs. A triple several record
//! graphs state is in the default graph once, and in the bookkeeping graph
//! `urn:moisson:sparql:shared:{n}` for the `n` graphs stating it, so that taking one record
//! out leaves the triples others still state. The record graphs held are listed beside the
//! store (`{dir}.held`); the triples of one taken out are read from the record store, where
//! a harvest that drops a graph keeps its compact copy (retired) until a sync purges it.
//!
//! Invariants:
//! - Its default graph is exactly the union of the triples of every active record graph;
//!   its named graphs are the vocabulary graphs, the graphs the caller materializes
//!   ([`SparqlStore::sync`]'s `extra`, e.g. what search assigned each dataset) and the
//!   `urn:moisson:sparql:` bookkeeping graphs (never shown to queries). Nothing else: not
//!   the metadata graph, the compact copies, withdrawn or superseded records, uncommitted
//!   graphs.
//! - For each triple of the default graph that `n` ≥ 2 held record graphs state, it is in
//!   `urn:moisson:sparql:shared:{n}` and no other count graph.
//! - It is derived: deleting its folder loses nothing; the next [`SparqlStore::sync`]
//!   rebuilds it from the record store. A sync adds and removes only what differs. A sync
//!   that changes record graphs marks it (`{dir}.syncing`) until the list of held graphs is
//!   written: a store opened with the mark (a crash), of another layout, or a sync that
//!   finds a held graph it can no longer read, starts again from empty.
//! - Readers in other processes open it read-only and are stamped with
//!   [`SparqlStore::generation`], which moves after every sync that changed something.
//! - Its [`PatternStats`] (quads per predicate, resources per class, over the default and
//!   named graphs, bookkeeping left out) are kept by each sync, written beside it
//!   (`{dir}.stats.json`) before the generation moves, and read by read-only opens. They
//!   are a planning hint: a missing or stale file makes queries slower, never wrong.

use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, QuadRef, Term, Triple,
};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{CatalogStore, LogBudget, StoreError};
use crate::vocab::{mv, rdf};

/// The vocabulary graphs (`urn:moisson:vocab:{name}`), copied once.
const VOCABULARY_GRAPHS: [&str; 3] = ["themes", "use-cases", "territories"];

/// Quads added at once above which a sync loads them in bulk rather than in a transaction.
const BULK_QUADS: usize = 50_000;

/// Record graphs added in one sync from which their triples go through the bulk loader.
const BULK_GRAPHS: usize = 1_000;

/// Quads (removed and added) per transaction writing the counts of shared triples.
const COUNTS_PER_TX: usize = 20_000;

/// Record graphs added or removed per transaction below [`BULK_GRAPHS`].
const TX_GRAPHS: usize = 500;

/// The prefix of the graphs that count the record graphs stating a triple of the default
/// graph, when more than one does: the triple sits in `{prefix}{n}` for n graphs.
const SHARED_PREFIX: &str = "urn:moisson:sparql:shared:";

/// The prefix of the store's own bookkeeping graphs, never shown to queries.
const INTERNAL_GRAPH_PREFIX: &str = "urn:moisson:sparql:";

/// The first line of the list of held record graphs (the layout's version: a store of
/// another layout is rebuilt).
const HELD_HEADER: &str = "moisson-sparql-held 2";

/// What an [`ExtraGraph`] is given to: each subject with its (predicate, object) pairs.
pub type DescribeSubject<'s> =
    dyn FnMut(NamedNodeRef<'_>, &[(NamedNodeRef<'_>, NamedNodeRef<'_>)]) + 's;

/// A graph the caller computes and the SPARQL store holds as it is given, subject by
/// subject (a subject given twice keeps its first pairs): never the whole graph in memory.
pub struct ExtraGraph<'a> {
    /// The graph's name.
    pub name: NamedNode,
    /// Gives every subject of the graph and its (predicate, object IRI) pairs, once each,
    /// to its argument.
    #[allow(clippy::type_complexity)]
    pub describe: Box<dyn FnOnce(&mut DescribeSubject<'_>) -> Result<(), StoreError> + 'a>,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Record and vocabulary graphs added.
    pub graphs_added: usize,
    /// Record graphs removed.
    pub graphs_removed: usize,
    /// Quads written (added graphs and extra-graph changes).
    pub quads_added: usize,
    /// Quads removed from the extra graphs (removed graphs not counted).
    pub quads_removed: usize,
    /// Milliseconds the sync took.
    pub millis: u64,
    /// True when the record graphs were copied again from empty (a graph the store held
    /// could no longer be read in the record store, or an earlier sync failed halfway).
    pub rebuilt: bool,
}

impl SyncReport {
    /// True when the sync changed nothing.
    pub fn is_empty(&self) -> bool {
        self.graphs_added == 0
            && self.graphs_removed == 0
            && self.quads_added == 0
            && self.quads_removed == 0
    }
}

/// How many quads each predicate has and how many `rdf:type` quads each class has, over
/// every graph of the SPARQL store: what a query planner needs to choose between a loop of
/// index lookups and a hash join (oxigraph's own planner has no statistics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternStats {
    /// Quads per predicate IRI.
    pub predicates: HashMap<String, u64>,
    /// `rdf:type` quads per class IRI.
    pub classes: HashMap<String, u64>,
}

impl PatternStats {
    /// Quads with predicate `iri` (0 when none).
    pub fn predicate(&self, iri: &str) -> u64 {
        self.predicates.get(iri).copied().unwrap_or(0)
    }

    /// `rdf:type` quads with class `iri` (0 when none).
    pub fn class(&self, iri: &str) -> u64 {
        self.classes.get(iri).copied().unwrap_or(0)
    }

    fn add(&mut self, quad: QuadRef<'_>) {
        // Looked up before inserting: a sync counts millions of quads over a few dozen keys.
        let up = |map: &mut HashMap<String, u64>, key: &str| match map.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                map.insert(key.to_owned(), 1);
            }
        };
        up(&mut self.predicates, quad.predicate.as_str());
        if let (rdf::TYPE, oxigraph::model::TermRef::NamedNode(class)) =
            (quad.predicate.as_str(), quad.object)
        {
            up(&mut self.classes, class.as_str());
        }
    }

    fn remove(&mut self, quad: QuadRef<'_>) {
        let down = |map: &mut HashMap<String, u64>, key: &str| {
            if let Some(n) = map.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(key);
                }
            }
        };
        down(&mut self.predicates, quad.predicate.as_str());
        if let (rdf::TYPE, oxigraph::model::TermRef::NamedNode(class)) =
            (quad.predicate.as_str(), quad.object)
        {
            down(&mut self.classes, class.as_str());
        }
    }

    /// Counts what `store` holds (two grouped scans of its quads, on its term ids).
    fn read(store: &Store) -> Result<Self, StoreError> {
        let count = |query: &str| -> Result<HashMap<String, u64>, StoreError> {
            let results = SparqlEvaluator::new()
                .parse_query(query)
                .map_err(|e| StoreError::Crashed(format!("statistics query: {e}")))?
                .on_store(store)
                .execute()
                .map_err(|e| StoreError::Crashed(format!("statistics query: {e}")))?;
            let mut out = HashMap::new();
            if let QueryResults::Solutions(rows) = results {
                for row in rows {
                    let row = row.map_err(|e| StoreError::Crashed(format!("statistics: {e}")))?;
                    if let (Some(Term::NamedNode(key)), Some(Term::Literal(n))) =
                        (row.get("k"), row.get("n"))
                    {
                        out.insert(key.as_str().to_owned(), n.value().parse().unwrap_or(0));
                    }
                }
            }
            Ok(out)
        };
        Ok(Self {
            predicates: count(&format!(
                "SELECT ?k (COUNT(*) AS ?n) WHERE {{ {{ ?s ?k ?o }} UNION {{ GRAPH ?g {{ ?s ?k ?o }} \
                 FILTER(!STRSTARTS(STR(?g), \"{INTERNAL_GRAPH_PREFIX}\")) }} }} GROUP BY ?k"
            ))?,
            classes: count(&format!(
                "SELECT ?k (COUNT(*) AS ?n) WHERE {{ {{ ?s <{t}> ?k }} UNION {{ GRAPH ?g {{ ?s <{t}> ?k }} \
                 FILTER(!STRSTARTS(STR(?g), \"{INTERNAL_GRAPH_PREFIX}\")) }} }} GROUP BY ?k",
                t = rdf::TYPE
            ))?,
        })
    }
}

/// What the last sync of this process left: the keys it was made at and the graphs the
/// store holds (read from the store at the first sync).
#[derive(Default)]
struct Synced {
    /// (registry generation, caller's key) of the last sync.
    at: Option<(u64, u64)>,
    /// The record and vocabulary graphs held.
    graphs: Option<HashSet<String>>,
    /// What each extra graph holds, in compact form.
    extra: Vec<HeldExtra>,
    /// The statistics of what the store holds (read from the store at the first sync);
    /// shared with queries, copied by a sync only while one still holds them.
    stats: Option<Arc<PatternStats>>,
}

/// The SPARQL store (see the module's invariants). Cheap to clone: clones share it.
#[derive(Clone)]
pub struct SparqlStore {
    store: Store,
    /// Its folder (none in memory): the statistics file sits beside it.
    dir: Option<PathBuf>,
    read_only: bool,
    /// The statistics a read-only open found beside the store.
    read_stats: Option<Arc<PatternStats>>,
    generation: Arc<AtomicU64>,
    synced: Arc<Mutex<Synced>>,
    /// True while (or after a failure while) a sync changes record graphs.
    dirty: Arc<AtomicBool>,
    /// Record graphs added in one sync from which the bulk loader is used.
    bulk_graphs: usize,
    /// What its transactions wrote to the log since the last flush.
    log: Arc<LogBudget>,
}

impl std::fmt::Debug for SparqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparqlStore")
            .field("read_only", &self.read_only)
            .field("generation", &self.generation())
            .finish()
    }
}

impl SparqlStore {
    /// The folder of the SPARQL store of the record store in `store_dir`: its sibling
    /// `{name}-sparql`.
    pub fn dir_of(store_dir: &Path) -> PathBuf {
        let name = store_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "store".into());
        store_dir.with_file_name(format!("{name}-sparql"))
    }

    /// Opens (or creates) the SPARQL store in `dir`, for syncing and querying. A store
    /// of an earlier layout, or one a crash left halfway through a sync, is removed
    /// first: the next sync rebuilds it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let usable =
            Self::read_held_file(dir).is_some() && !Self::syncing_path(dir).try_exists()?;
        if !usable && Self::remove(dir)? {
            tracing::info!(
                dir = %dir.display(),
                "sparql: a store of another layout, or left by an interrupted sync, removed"
            );
        }
        let store = Self::over(Store::open(dir)?, Some(dir), false);
        if !usable {
            store.write_held(&HashSet::new())?;
        }
        Ok(store)
    }

    /// Opens the SPARQL store in `dir` for reading only, next to the process that syncs
    /// it: it sees the graphs as they were when it opened (a compaction racing the open
    /// is retried, as for the record store).
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let mut store = Self::over(super::open_read_only_retrying(dir)?, Some(dir), true);
        store.read_stats = std::fs::read(Self::stats_path(dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Arc::new);
        Ok(store)
    }

    /// A SPARQL store in memory (tests, and a record store in memory).
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::over(Store::new()?, None, false))
    }

    /// The names of the vocabulary graphs it holds.
    pub fn vocabulary_graphs() -> Vec<NamedNode> {
        VOCABULARY_GRAPHS
            .iter()
            .map(|v| NamedNode::new_unchecked(format!("{}{v}", mv::GRAPH_PREFIX)))
            .collect()
    }

    /// Removes the SPARQL store in `dir` and its statistics file beside it (derived data:
    /// the next sync rebuilds both). Returns whether a store was there.
    pub fn remove(dir: &Path) -> std::io::Result<bool> {
        let existed = dir.is_dir();
        if existed {
            std::fs::remove_dir_all(dir)?;
        }
        for path in [
            Self::stats_path(dir),
            Self::held_path(dir),
            Self::syncing_path(dir),
        ] {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(existed)
    }

    /// Bytes on disk of the SPARQL store in `dir`: its folder and the files beside it (the
    /// list of held graphs, the statistics).
    pub fn disk_bytes(dir: &Path) -> u64 {
        super::compact::dir_bytes(dir)
            + [Self::held_path(dir), Self::stats_path(dir)]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum::<u64>()
    }

    /// The list of record graphs the SPARQL store in `dir` holds: its sibling
    /// `{name}.held`.
    pub fn held_path(dir: &Path) -> PathBuf {
        Self::sibling(dir, ".held")
    }

    /// The mark of a sync changing record graphs in the SPARQL store in `dir`: its sibling
    /// `{name}.syncing`.
    fn syncing_path(dir: &Path) -> PathBuf {
        Self::sibling(dir, ".syncing")
    }

    fn sibling(dir: &Path, suffix: &str) -> PathBuf {
        let mut name = dir.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        dir.with_file_name(name)
    }

    /// The statistics file of the SPARQL store in `dir`: its sibling `{name}.stats.json`.
    pub fn stats_path(dir: &Path) -> PathBuf {
        Self::sibling(dir, ".stats.json")
    }

    /// The statistics of what the store holds: those this process keeps when it syncs,
    /// those found beside the store when opened read-only; none before the first sync or
    /// when the file is missing.
    pub fn stats(&self) -> Option<Arc<PatternStats>> {
        if self.read_only {
            return self.read_stats.clone();
        }
        let synced = self.synced.lock().ok()?;
        synced.stats.clone()
    }

    fn over(store: Store, dir: Option<&Path>, read_only: bool) -> Self {
        Self {
            store,
            dir: dir.map(Path::to_path_buf),
            read_only,
            read_stats: None,
            generation: Arc::new(AtomicU64::new(0)),
            synced: Arc::new(Mutex::new(Synced::default())),
            dirty: Arc::new(AtomicBool::new(false)),
            bulk_graphs: BULK_GRAPHS,
            log: Arc::default(),
        }
    }

    /// Moves the writes kept in memtables and in the write-ahead log to table files.
    fn flush(&self) -> Result<(), StoreError> {
        self.log.reset();
        Ok(self.store.flush()?)
    }

    /// Notes a committed transaction of `quads` quads, and flushes once the log holds a
    /// [`LogBudget`] (read-only opens replay the whole log; RocksDB keeps each log file
    /// as large as it grew).
    fn logged(&self, quads: usize) -> Result<(), StoreError> {
        if self.log.note(quads, 0) {
            self.flush()?;
        }
        Ok(())
    }

    /// The oxigraph store queries run on (the union of its graphs is their default graph).
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// Moves after every sync that changed something: a reader opened before it moved
    /// may miss the change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// True when a sync at (`catalog`'s registry generation, `key`) would change nothing
    /// this process does not already know of.
    pub fn is_synced(&self, catalog: &CatalogStore, key: u64) -> bool {
        self.synced
            .lock()
            .map(|s| s.at == Some((catalog.registry_generation(), key)))
            .unwrap_or(false)
    }

    /// Brings the store to what readers of `catalog` may see now, plus `extra` (computed
    /// by the caller only when needed: `key` says when it changed, e.g. the search
    /// index's generation). Adds and removes only what differs; does nothing when
    /// neither the registry nor `key` moved since the last sync of this process.
    pub fn sync<'e>(
        &self,
        catalog: &CatalogStore,
        key: u64,
        extra: impl FnOnce() -> Result<Vec<ExtraGraph<'e>>, StoreError>,
    ) -> Result<SyncReport, StoreError> {
        if self.read_only {
            return Err(StoreError::InvalidInput(
                "the SPARQL store is open for reading only".into(),
            ));
        }
        let started = Instant::now();
        let mut synced = self
            .synced
            .lock()
            .map_err(|_| StoreError::Crashed("SPARQL store sync lock poisoned".into()))?;
        let snapshot = catalog.active_snapshot()?;
        if synced.at == Some((snapshot.generation, key)) {
            return Ok(SyncReport::default());
        }
        let extra = extra()?;
        match self.sync_held(&mut synced, catalog, &snapshot, extra) {
            Ok(mut report) => {
                synced.at = Some((snapshot.generation, key));
                report.millis = started.elapsed().as_millis() as u64;
                Ok(report)
            }
            Err(e) => {
                // Part of the change may be written: what this process knows of the store
                // (graphs held, extra graphs, statistics) is read again at the next sync.
                *synced = Synced::default();
                Err(e)
            }
        }
    }

    /// The sync itself, from what `synced` says the store holds (see [`Self::sync`]).
    fn sync_held(
        &self,
        synced: &mut Synced,
        catalog: &CatalogStore,
        snapshot: &super::ActiveSnapshot,
        extra: Vec<ExtraGraph<'_>>,
    ) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        if self.dirty.load(Ordering::Acquire) {
            // A sync of this process failed halfway through the record graphs: what the
            // default graph holds is no longer known, start again from an empty store.
            tracing::warn!("sparql: an earlier sync failed halfway, the store is rebuilt");
            self.store.clear()?;
            *synced = Synced {
                graphs: Some(HashSet::new()),
                ..Synced::default()
            };
            report.rebuilt = true;
        }
        if synced.graphs.is_none() {
            synced.graphs = Some(self.read_held());
        }
        // Counted once a process; written even when this sync changes nothing, for a
        // store synced before statistics were kept.
        let counted = synced.stats.is_none();
        if counted {
            synced.stats = Some(Arc::new(PatternStats::read(&self.store)?));
        }
        let Synced {
            graphs,
            extra: extra_held,
            stats,
            ..
        } = synced;
        let held = graphs.as_mut().expect("read just above");
        let stats = Arc::make_mut(stats.as_mut().expect("read just above"));

        // Record graphs: the wanted names, then the difference.
        let wanted: HashSet<&str> = snapshot.records().map(|r| r.graph.as_str()).collect();
        let gone: Vec<String> = held
            .iter()
            .filter(|g| !wanted.contains(g.as_str()))
            .cloned()
            .collect();
        let mut missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|g| !held.contains(*g))
            .collect();
        if !gone.is_empty() || !missing.is_empty() {
            self.begin_change()?;
            if !self.retract_graphs(catalog, &gone, held, stats, &mut report)? {
                tracing::warn!(
                    "sparql: a graph the store holds is no longer in the record store, \
                     the store is rebuilt"
                );
                self.store.clear()?;
                held.clear();
                extra_held.clear();
                *stats = PatternStats::default();
                missing = wanted.iter().copied().collect();
                report.rebuilt = true;
            }
            missing.sort_unstable();
            if missing.len() >= self.bulk_graphs {
                self.assert_in_bulk(catalog, &missing, stats, &mut report)?;
            } else {
                self.assert_in_transactions(catalog, &missing, stats, &mut report)?;
            }
            held.extend(missing.iter().map(|g| (*g).to_owned()));
            self.flush()?;
            self.write_held(held)?;
            self.end_change()?;
        }
        // Retired copies nobody needs any more: their graph is not held, or active again
        // (as the store has it now: `wanted` may predate a harvest that retired a graph).
        catalog.purge_retired(|g| held.contains(g))?;

        // Vocabulary graphs, copied once as named graphs.
        let mut loader = Loader::new(&self.store);
        for graph in Self::vocabulary_graphs() {
            if !self.store.contains_named_graph(graph.as_ref())? {
                let quads = catalog.graph_quads(graph.as_str())?;
                report.quads_added += quads.len();
                quads.iter().for_each(|q| stats.add(q.as_ref()));
                loader.add(quads)?;
                report.graphs_added += 1;
            }
        }
        loader.finish()?;

        // Extra graphs: the triples that differ, subject by subject.
        for graph in extra {
            let known = match extra_held.iter().position(|h| h.name == graph.name) {
                Some(i) => i,
                None => {
                    extra_held.push(self.held_extra(&graph.name, stats, &mut report)?);
                    extra_held.len() - 1
                }
            };
            let (added, removed) = self.sync_extra(graph, &mut extra_held[known], stats)?;
            report.quads_added += added;
            report.quads_removed += removed;
        }
        if counted || !report.is_empty() {
            self.write_stats(stats);
        }
        if !report.is_empty() {
            // Read-only opens replay the write-ahead log: leave it short.
            self.flush()?;
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(report)
    }

    /// Takes the triples of record graphs `gone` out of the default graph (a triple other
    /// held graphs also state stays, one count less), reading them from the record store
    /// (their retired copy once a harvest dropped them), in transactions of
    /// [`TX_GRAPHS`]. Returns false, the store unchanged past the last transaction, when
    /// a graph can no longer be read there.
    fn retract_graphs(
        &self,
        catalog: &CatalogStore,
        gone: &[String],
        held: &mut HashSet<String>,
        stats: &mut PatternStats,
        report: &mut SyncReport,
    ) -> Result<bool, StoreError> {
        for part in gone.chunks(TX_GRAPHS) {
            let mut tx = self.store.start_transaction()?;
            let mut written = 0;
            for graph in part {
                let Some(triples) = catalog.kept_graph_triples(&NamedNode::new_unchecked(graph))?
                else {
                    return Ok(false);
                };
                for triple in distinct(triples) {
                    let n = shared_count(tx.quads_for_pattern(
                        Some(triple.subject.as_ref()),
                        Some(triple.predicate.as_ref()),
                        Some(triple.object.as_ref()),
                        None,
                    ))?;
                    written += 2;
                    if n >= 2 {
                        tx.remove(triple.as_ref().in_graph(shared_graph(n).as_ref()));
                        if n > 2 {
                            tx.insert(triple.as_ref().in_graph(shared_graph(n - 1).as_ref()));
                        }
                    } else {
                        let quad = triple.in_graph(GraphName::DefaultGraph);
                        stats.remove(quad.as_ref());
                        tx.remove(&quad);
                    }
                }
            }
            tx.commit()?;
            self.logged(written)?;
            for graph in part {
                held.remove(graph);
            }
            report.graphs_removed += part.len();
        }
        Ok(true)
    }

    /// Adds the triples of record graphs `graphs` to the default graph (a triple already
    /// there gets one count more), in transactions of [`TX_GRAPHS`].
    fn assert_in_transactions(
        &self,
        catalog: &CatalogStore,
        graphs: &[&str],
        stats: &mut PatternStats,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        for part in graphs.chunks(TX_GRAPHS) {
            let mut tx = self.store.start_transaction()?;
            let mut written = 0;
            for graph in part {
                for triple in distinct(read_graph(catalog, graph)?) {
                    let quad = triple.as_ref().in_graph(GraphNameRef::DefaultGraph);
                    if tx.contains(quad)? {
                        let n = shared_count(tx.quads_for_pattern(
                            Some(triple.subject.as_ref()),
                            Some(triple.predicate.as_ref()),
                            Some(triple.object.as_ref()),
                            None,
                        ))?
                        .max(1);
                        if n >= 2 {
                            tx.remove(triple.as_ref().in_graph(shared_graph(n).as_ref()));
                        }
                        tx.insert(triple.as_ref().in_graph(shared_graph(n + 1).as_ref()));
                    } else {
                        stats.add(quad);
                        tx.insert(quad);
                    }
                    report.quads_added += 1;
                    written += 2;
                }
                report.graphs_added += 1;
            }
            tx.commit()?;
            self.logged(written)?;
        }
        Ok(())
    }

    /// Adds the triples of many record graphs through oxigraph's bulk loader, counting the
    /// triples stated more than once: a first pass hashes every triple and keeps the hashes
    /// met twice (8 bytes a triple, sorted), the second counts those by a 128-bit hash
    /// while loading, a third writes the counts, in transactions.
    fn assert_in_bulk(
        &self,
        catalog: &CatalogStore,
        graphs: &[&str],
        stats: &mut PatternStats,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        let hash = |triple: &Triple| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            triple.hash(&mut hasher);
            hasher.finish()
        };
        let mut hashes = Vec::new();
        for graph in graphs {
            hashes.extend(distinct(read_graph(catalog, graph)?).iter().map(hash));
        }
        hashes.sort_unstable();
        let twice: HashSet<u64> = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        drop(hashes);
        let empty = self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
            .next()
            .is_none();
        // 128-bit hash of a triple -> (in the default graph before this sync, graphs of this
        // sync stating it): 48 bytes an entry where whole triples took hundreds (at
        // 1,000,000 datasets the map of triples kept the process at ~3.7 GiB).
        // Widens the triple's 64-bit hash `narrow` with a second, salted one.
        let wide = |narrow: u64, triple: &Triple| {
            use std::hash::{Hash, Hasher};
            let mut salted = std::collections::hash_map::DefaultHasher::new();
            0x5a5a_u16.hash(&mut salted);
            triple.hash(&mut salted);
            (u128::from(narrow) << 64) | u128::from(salted.finish())
        };
        let mut counted: HashMap<u128, (bool, u64)> = HashMap::new();
        let mut loader = Loader::new(&self.store);
        for graph in graphs {
            for triple in distinct(read_graph(catalog, graph)?) {
                let quad = triple.as_ref().in_graph(GraphNameRef::DefaultGraph);
                let there = !empty && self.store.contains(quad)?;
                let narrow = hash(&triple);
                let first = if there || twice.contains(&narrow) {
                    let entry = counted.entry(wide(narrow, &triple)).or_insert((there, 0));
                    entry.1 += 1;
                    !entry.0 && entry.1 == 1
                } else {
                    true
                };
                if first {
                    stats.add(quad);
                    loader.push(triple.in_graph(GraphName::DefaultGraph))?;
                }
                report.quads_added += 1;
            }
            report.graphs_added += 1;
        }
        loader.finish()?;
        // The counts, written by a third pass over the graphs (each triple once).
        counted.retain(|_, (there, added)| *there || *added >= 2);
        let mut tx = self.store.start_transaction()?;
        let mut written = 0;
        for graph in graphs {
            if counted.is_empty() {
                break;
            }
            for triple in distinct(read_graph(catalog, graph)?) {
                let Some((there, added)) = counted.remove(&wide(hash(&triple), &triple)) else {
                    continue;
                };
                let before = if there {
                    shared_count(self.store.quads_for_pattern(
                        Some(triple.subject.as_ref()),
                        Some(triple.predicate.as_ref()),
                        Some(triple.object.as_ref()),
                        None,
                    ))?
                    .max(1)
                } else {
                    0
                };
                let total = before + added;
                if before >= 2 {
                    tx.remove(triple.as_ref().in_graph(shared_graph(before).as_ref()));
                }
                tx.insert(triple.as_ref().in_graph(shared_graph(total).as_ref()));
                written += 2;
                if written >= COUNTS_PER_TX {
                    std::mem::replace(&mut tx, self.store.start_transaction()?).commit()?;
                    self.logged(std::mem::take(&mut written))?;
                }
            }
        }
        tx.commit()?;
        self.logged(written)?;
        Ok(())
    }

    /// Notes that record graphs are being changed: until [`Self::end_change`], a failure
    /// (this process) or a crash (the next open) makes the store start again from empty.
    fn begin_change(&self) -> Result<(), StoreError> {
        self.dirty.store(true, Ordering::Release);
        if let Some(dir) = &self.dir {
            std::fs::write(Self::syncing_path(dir), b"")?;
        }
        Ok(())
    }

    fn end_change(&self) -> Result<(), StoreError> {
        if let Some(dir) = &self.dir {
            std::fs::remove_file(Self::syncing_path(dir))?;
        }
        self.dirty.store(false, Ordering::Release);
        Ok(())
    }

    /// The record graphs the store holds, from the file beside it (empty in memory).
    fn read_held(&self) -> HashSet<String> {
        self.dir
            .as_deref()
            .and_then(Self::read_held_file)
            .unwrap_or_default()
    }

    /// The record graphs listed in the file beside the store in `dir`, or `None` when the
    /// file is missing or not of this layout.
    fn read_held_file(dir: &Path) -> Option<HashSet<String>> {
        let text = std::fs::read_to_string(Self::held_path(dir)).ok()?;
        let mut lines = text.lines();
        (lines.next()? == HELD_HEADER).then(|| lines.map(str::to_owned).collect())
    }

    /// Writes the list of held record graphs beside the store (replaced atomically).
    fn write_held(&self, held: &HashSet<String>) -> Result<(), StoreError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let mut names: Vec<&str> = held.iter().map(String::as_str).collect();
        names.sort_unstable();
        let mut text = String::with_capacity(names.iter().map(|n| n.len() + 1).sum::<usize>() + 32);
        text.push_str(HELD_HEADER);
        for name in names {
            text.push('\n');
            text.push_str(name);
        }
        let path = Self::held_path(dir);
        let partial = path.with_extension("held.partial");
        {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&partial, &path)?;
        Ok(())
    }

    /// Writes `stats` beside the store (a hint: a failure is logged, the sync goes on, and
    /// readers plan without statistics).
    fn write_stats(&self, stats: &PatternStats) {
        let Some(dir) = &self.dir else { return };
        let path = Self::stats_path(dir);
        let partial = path.with_extension("json.partial");
        let written = serde_json::to_vec(stats)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&partial, bytes))
            .and_then(|()| std::fs::rename(&partial, &path));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "sparql: statistics not written");
        }
    }

    /// What extra graph `name` holds in the store, read once a process. Triples the
    /// extra graphs never hold (a blank or literal subject or object) are removed.
    fn held_extra(
        &self,
        name: &NamedNode,
        stats: &mut PatternStats,
        report: &mut SyncReport,
    ) -> Result<HeldExtra, StoreError> {
        let mut held = HeldExtra::new(name.clone());
        let mut subjects: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        let mut stray = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            None,
            None,
            Some(GraphNameRef::NamedNode(name.as_ref())),
        ) {
            let quad = quad?;
            match (&quad.subject, &quad.object) {
                (NamedOrBlankNode::NamedNode(subject), Term::NamedNode(object)) => {
                    let number = held.number(quad.predicate.as_ref(), object.as_ref());
                    match subjects.get_mut(subject.as_str()) {
                        Some(numbers) => numbers.push(number),
                        None => {
                            subjects.insert(subject.as_str().into(), vec![number]);
                        }
                    }
                }
                _ => stray.push(quad),
            }
        }
        held.subjects = subjects
            .into_iter()
            .map(|(subject, mut numbers)| {
                numbers.sort_unstable();
                numbers.dedup();
                (subject, numbers.into_boxed_slice())
            })
            .collect();
        if !stray.is_empty() {
            report.quads_removed += stray.len();
            stray.iter().for_each(|q| stats.remove(q.as_ref()));
            self.remove_quads(&stray)?;
        }
        Ok(held)
    }

    /// Brings extra graph `graph` from what `held` says the store holds to what the caller
    /// describes now, in batches; returns the quads (added, removed).
    fn sync_extra(
        &self,
        graph: ExtraGraph<'_>,
        held: &mut HeldExtra,
        stats: &mut PatternStats,
    ) -> Result<(usize, usize), StoreError> {
        let name = GraphName::NamedNode(graph.name.clone());
        let mut change = ExtraChange {
            sparql: self,
            name,
            loader: Loader::new(&self.store),
            removed: Vec::new(),
            counts: (0, 0),
            failed: None,
        };
        let mut next: HashMap<Box<str>, Box<[u32]>> = HashMap::with_capacity(held.subjects.len());
        let mut describe =
            |subject: NamedNodeRef<'_>, pairs: &[(NamedNodeRef<'_>, NamedNodeRef<'_>)]| {
                if change.failed.is_some() || next.contains_key(subject.as_str()) {
                    return;
                }
                let mut numbers: Vec<u32> = pairs.iter().map(|&(p, o)| held.number(p, o)).collect();
                numbers.sort_unstable();
                numbers.dedup();
                let before = held.subjects.remove(subject.as_str()).unwrap_or_default();
                for &n in before.iter().filter(|n| numbers.binary_search(n).is_err()) {
                    change.write(false, subject, &held.pairs[n as usize], stats);
                }
                for &n in numbers.iter().filter(|n| before.binary_search(n).is_err()) {
                    change.write(true, subject, &held.pairs[n as usize], stats);
                }
                next.insert(subject.as_str().into(), numbers.into_boxed_slice());
            };
        (graph.describe)(&mut describe)?;
        // Subjects no longer described.
        for (subject, numbers) in std::mem::take(&mut held.subjects) {
            let subject = NamedNodeRef::new_unchecked(&subject);
            for &n in numbers.iter() {
                change.write(false, subject, &held.pairs[n as usize], stats);
            }
        }
        held.subjects = next;
        change.finish()
    }

    /// Removes `quads` in transactions of at most [`BULK_QUADS`].
    fn remove_quads(&self, quads: &[Quad]) -> Result<(), StoreError> {
        for part in quads.chunks(BULK_QUADS) {
            let mut tx = self.store.start_transaction()?;
            for quad in part {
                tx.remove(quad);
            }
            tx.commit()?;
            self.logged(part.len())?;
        }
        Ok(())
    }
}

/// The graph counting the triples `n` record graphs state.
fn shared_graph(n: u64) -> NamedNode {
    NamedNode::new_unchecked(format!("{SHARED_PREFIX}{n}"))
}

/// How many record graphs state the triple whose quads (in every graph) are `quads`, when
/// more than one does; 0 otherwise.
fn shared_count(
    quads: impl Iterator<Item = Result<Quad, oxigraph::store::StorageError>>,
) -> Result<u64, StoreError> {
    for quad in quads {
        if let GraphName::NamedNode(graph) = quad?.graph_name {
            if let Some(n) = graph.as_str().strip_prefix(SHARED_PREFIX) {
                return Ok(n.parse().unwrap_or(0));
            }
        }
    }
    Ok(0)
}

/// The distinct triples of `triples` (a graph's triples, stated once each).
fn distinct(mut triples: Vec<Triple>) -> Vec<Triple> {
    // Marked by reference, then kept in place: no triple is copied (a sync reads every
    // triple of every graph through here).
    let first: Vec<bool> = {
        let mut seen = HashSet::with_capacity(triples.len());
        triples.iter().map(|t| seen.insert(t)).collect()
    };
    let mut kept = first.into_iter();
    triples.retain(|_| kept.next().unwrap_or(false));
    triples
}

/// The triples of active record graph `graph` (none when the record store has no copy of
/// it any more: the next sync sees it gone).
fn read_graph(catalog: &CatalogStore, graph: &str) -> Result<Vec<Triple>, StoreError> {
    Ok(catalog
        .kept_graph_triples(&NamedNode::new_unchecked(graph))?
        .unwrap_or_default())
}

/// What an extra graph holds, compact: its (predicate, object) pairs numbered once, and
/// each subject's pair numbers (at 1,000,000 datasets, ~150 MB where the triples
/// themselves took gigabytes).
struct HeldExtra {
    name: NamedNode,
    /// The pairs met, by number.
    pairs: Vec<(NamedNode, NamedNode)>,
    /// Pair numbers by predicate, then by object IRI.
    numbers: Vec<(NamedNode, HashMap<String, u32>)>,
    /// Each subject's pair numbers, sorted.
    subjects: HashMap<Box<str>, Box<[u32]>>,
}

impl HeldExtra {
    fn new(name: NamedNode) -> Self {
        Self {
            name,
            pairs: Vec::new(),
            numbers: Vec::new(),
            subjects: HashMap::new(),
        }
    }

    /// The number of pair (`predicate`, `object`), given one at its first use.
    fn number(&mut self, predicate: NamedNodeRef<'_>, object: NamedNodeRef<'_>) -> u32 {
        let by_predicate = match self.numbers.iter().position(|(p, _)| *p == predicate) {
            Some(i) => i,
            None => {
                self.numbers.push((predicate.into_owned(), HashMap::new()));
                self.numbers.len() - 1
            }
        };
        let objects = &mut self.numbers[by_predicate].1;
        if let Some(&n) = objects.get(object.as_str()) {
            return n;
        }
        let n = self.pairs.len() as u32;
        self.pairs
            .push((predicate.into_owned(), object.into_owned()));
        objects.insert(object.as_str().to_owned(), n);
        n
    }
}

/// The writes of one extra graph's sync, in batches: additions through a [`Loader`],
/// removals in transactions of [`BULK_QUADS`]. The first error stops further writes and
/// is returned by [`ExtraChange::finish`].
struct ExtraChange<'a> {
    sparql: &'a SparqlStore,
    name: GraphName,
    loader: Loader<'a>,
    removed: Vec<Quad>,
    /// Quads (added, removed).
    counts: (usize, usize),
    failed: Option<StoreError>,
}

impl ExtraChange<'_> {
    fn quad(
        &self,
        subject: NamedNodeRef<'_>,
        (predicate, object): &(NamedNode, NamedNode),
    ) -> Quad {
        Quad::new(
            subject.into_owned(),
            predicate.clone(),
            object.clone(),
            self.name.clone(),
        )
    }

    /// Adds (`add`) or removes one triple of the graph, counted in the statistics.
    fn write(
        &mut self,
        add: bool,
        subject: NamedNodeRef<'_>,
        pair: &(NamedNode, NamedNode),
        stats: &mut PatternStats,
    ) {
        if self.failed.is_some() {
            return;
        }
        let quad = self.quad(subject, pair);
        let written = if add {
            stats.add(quad.as_ref());
            self.counts.0 += 1;
            self.loader.push(quad)
        } else {
            stats.remove(quad.as_ref());
            self.counts.1 += 1;
            self.removed.push(quad);
            if self.removed.len() >= BULK_QUADS {
                let removed = std::mem::take(&mut self.removed);
                self.sparql.remove_quads(&removed)
            } else {
                Ok(())
            }
        };
        if let Err(e) = written {
            self.failed = Some(e);
        }
    }

    fn finish(mut self) -> Result<(usize, usize), StoreError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.sparql
            .remove_quads(&std::mem::take(&mut self.removed))?;
        self.loader.finish()?;
        Ok(self.counts)
    }
}

/// Adds quads in small transactions, or in one bulk load once there are many. (The
/// harvest's `RecordWriter` does the same with larger batches; syncing through it was
/// measured slower at 100,000 records, 52.7-56.0 s against 44.3-47.2 s, and the reason
/// was not found in time, so this stays.)
struct Loader<'a> {
    store: &'a Store,
    pending: Vec<Quad>,
    bulk: Option<oxigraph::store::BulkLoader<'a>>,
}

impl<'a> Loader<'a> {
    fn new(store: &'a Store) -> Self {
        Self {
            store,
            pending: Vec::new(),
            bulk: None,
        }
    }

    fn add(&mut self, quads: Vec<Quad>) -> Result<(), StoreError> {
        self.pending.extend(quads);
        self.load_if_many()
    }

    /// Adds one quad (no vector of its own: an extra graph's sync adds millions).
    fn push(&mut self, quad: Quad) -> Result<(), StoreError> {
        self.pending.push(quad);
        self.load_if_many()
    }

    fn load_if_many(&mut self) -> Result<(), StoreError> {
        if self.pending.len() >= BULK_QUADS {
            // Bounded like a harvest's writer: two threads of 256 MB each.
            let bulk = self.bulk.get_or_insert_with(|| {
                self.store
                    .bulk_loader()
                    .with_num_threads(2)
                    .with_max_memory_size_in_megabytes(256)
            });
            bulk.load_quads(std::mem::take(&mut self.pending))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), StoreError> {
        match self.bulk.take() {
            Some(mut bulk) => {
                bulk.load_quads(std::mem::take(&mut self.pending))?;
                bulk.commit()?;
            }
            None if !self.pending.is_empty() => {
                self.store.extend(std::mem::take(&mut self.pending))?;
            }
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::Triple;

    fn triple(s: &str, o: &str) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(format!("https://example.org/{s}")),
            NamedNode::new_unchecked("http://www.w3.org/ns/dcat#theme"),
            NamedNode::new_unchecked(format!("https://example.org/{o}")),
        )
    }

    /// The extra graph of `triples`, described subject by subject.
    fn extra(triples: Vec<Triple>) -> Vec<ExtraGraph<'static>> {
        let mut subjects: std::collections::BTreeMap<String, Vec<(NamedNode, NamedNode)>> =
            std::collections::BTreeMap::new();
        for t in triples {
            let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (t.subject, t.object) else {
                panic!("IRIs only")
            };
            subjects
                .entry(s.into_string())
                .or_default()
                .push((t.predicate, o));
        }
        vec![ExtraGraph {
            name: NamedNode::new_unchecked("urn:moisson:classification"),
            describe: Box::new(move |each| {
                for (s, pairs) in &subjects {
                    let pairs: Vec<_> = pairs
                        .iter()
                        .map(|(p, o)| (p.as_ref(), o.as_ref()))
                        .collect();
                    each(NamedNodeRef::new_unchecked(s), &pairs);
                }
                Ok(())
            }),
        }]
    }

    fn graph_triples(sparql: &SparqlStore, name: &str) -> HashSet<Triple> {
        sparql
            .oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(
                    NamedNode::new_unchecked(name).as_ref(),
                )),
            )
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    #[test]
    fn a_sync_writes_only_what_differs_and_moves_the_generation() {
        let catalog = CatalogStore::in_memory().unwrap();
        let sparql = SparqlStore::in_memory().unwrap();
        let first = sparql
            .sync(&catalog, 1, || {
                Ok(extra(vec![triple("a", "x"), triple("b", "x")]))
            })
            .unwrap();
        assert_eq!(first.quads_added - vocabulary_len(&catalog), 2);
        let generation = sparql.generation();
        assert!(generation > 0);
        // Same registry, same key: nothing is computed or written.
        let again = sparql
            .sync(&catalog, 1, || panic!("not computed when nothing moved"))
            .unwrap();
        assert!(again.is_empty());
        assert_eq!(sparql.generation(), generation);
        assert!(sparql.is_synced(&catalog, 1));
        // The key moved: one triple goes, one comes.
        let next = sparql
            .sync(&catalog, 2, || {
                Ok(extra(vec![triple("b", "x"), triple("c", "y")]))
            })
            .unwrap();
        assert_eq!((next.quads_added, next.quads_removed), (1, 1));
        assert!(sparql.generation() > generation);
        let held = graph_triples(&sparql, "urn:moisson:classification");
        assert_eq!(
            held,
            [triple("b", "x"), triple("c", "y")].into_iter().collect()
        );
        // Nothing of the record store's own graphs is there but the vocabularies.
        for graph in sparql.oxigraph().named_graphs() {
            let NamedOrBlankNode::NamedNode(name) = graph.unwrap() else {
                panic!("a blank graph name")
            };
            assert!(
                name.as_str().starts_with(mv::GRAPH_PREFIX)
                    || name.as_str() == "urn:moisson:classification",
                "{name}"
            );
        }
    }

    fn vocabulary_len(catalog: &CatalogStore) -> usize {
        SparqlStore::vocabulary_graphs()
            .iter()
            .map(|g| catalog.graph_quads(g.as_str()).unwrap().len())
            .sum()
    }

    /// A registry entry of record `n` of `source` (dataset `https://example.org/d/{n}`).
    fn test_entry(
        source: &str,
        n: usize,
        graph: String,
        hash: String,
        state: crate::store::RecordState,
    ) -> crate::store::RecordEntry {
        crate::store::RecordEntry {
            graph,
            source: source.into(),
            record_iri: format!("https://example.org/d/{n}"),
            dataset_id: format!("id{n}"),
            kind: crate::model::RecordKind::Dataset,
            hash,
            page_url: "https://example.org/catalog".into(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-01-01T00:00:00Z".into(),
            state,
            withdrawn_at: None,
        }
    }

    /// Writes record graph `n` of source `a` (a dataset typed `dcat:Dataset` with `n + 1`
    /// keywords) and commits it active, or withdraws it.
    fn commit(catalog: &CatalogStore, upserts: &[usize], withdrawn: &[usize]) {
        use crate::store::{HarvestCommit, RecordState};
        let entry = |n: usize, state| {
            test_entry(
                "a",
                n,
                format!("urn:moisson:record:a:{n}"),
                format!("h{n}"),
                state,
            )
        };
        let writer = catalog.harvest_writer().unwrap();
        for n in upserts {
            let d = NamedNode::new_unchecked(format!("https://example.org/d/{n}"));
            let mut triples = vec![Triple::new(
                d.clone(),
                NamedNode::new_unchecked(rdf::TYPE),
                NamedNode::new_unchecked("http://www.w3.org/ns/dcat#Dataset"),
            )];
            triples.extend((0..=*n).map(|k| {
                Triple::new(
                    d.clone(),
                    NamedNode::new_unchecked("http://www.w3.org/ns/dcat#keyword"),
                    oxigraph::model::Literal::new_simple_literal(format!("mot {k}")),
                )
            }));
            writer
                .write_graph(
                    &NamedNode::new_unchecked(format!("urn:moisson:record:a:{n}")),
                    triples,
                )
                .unwrap();
        }
        writer.finish().unwrap();
        let commit = HarvestCommit {
            upserts: upserts
                .iter()
                .map(|n| entry(*n, RecordState::Active))
                .chain(withdrawn.iter().map(|n| {
                    let mut e = entry(*n, RecordState::Withdrawn);
                    e.withdrawn_at = Some("2026-01-02T00:00:00Z".into());
                    e
                }))
                .collect(),
            ..HarvestCommit::default()
        };
        catalog.commit_harvest("a", commit).unwrap();
    }

    #[test]
    fn statistics_follow_every_sync_and_reach_read_only_opens() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = CatalogStore::in_memory().unwrap();
        catalog.load_vocabularies().unwrap();
        let sparql_dir = dir.path().join("store-sparql");
        let sparql = SparqlStore::open(&sparql_dir).unwrap();
        let recount = |s: &SparqlStore| PatternStats::read(s.oxigraph()).unwrap();
        commit(&catalog, &[0, 1, 2], &[]);
        sparql
            .sync(&catalog, 1, || Ok(extra(vec![triple("a", "x")])))
            .unwrap();
        let stats = sparql.stats().unwrap();
        assert_eq!(*stats, recount(&sparql));
        assert_eq!(stats.class("http://www.w3.org/ns/dcat#Dataset"), 3);
        assert_eq!(stats.predicate("http://www.w3.org/ns/dcat#keyword"), 6);
        assert_eq!(stats.predicate("http://www.w3.org/ns/dcat#theme"), 1);
        // A record withdrawn, one added, the classification changed: still exact.
        commit(&catalog, &[3], &[1]);
        sparql
            .sync(&catalog, 2, || {
                Ok(extra(vec![triple("b", "y"), triple("c", "y")]))
            })
            .unwrap();
        let stats = sparql.stats().unwrap();
        assert_eq!(*stats, recount(&sparql));
        assert_eq!(stats.class("http://www.w3.org/ns/dcat#Dataset"), 3);
        assert_eq!(
            stats.predicate("http://www.w3.org/ns/dcat#keyword"),
            1 + 3 + 4
        );
        assert_eq!(stats.predicate("http://www.w3.org/ns/dcat#theme"), 2);
        // Written beside the store, read by a read-only open.
        drop(sparql);
        let reader = SparqlStore::open_read_only(&sparql_dir).unwrap();
        assert_eq!(reader.stats().as_deref(), Some(&*stats));
        // A store synced before statistics were kept gets its file at the next sync, even
        // when nothing changed.
        drop(reader);
        std::fs::remove_file(SparqlStore::stats_path(&sparql_dir)).unwrap();
        let sparql = SparqlStore::open(&sparql_dir).unwrap();
        sparql
            .sync(&catalog, 2, || {
                Ok(extra(vec![triple("b", "y"), triple("c", "y")]))
            })
            .unwrap();
        assert!(SparqlStore::stats_path(&sparql_dir).is_file());
        // Removing the store takes its statistics along.
        drop(sparql);
        assert!(SparqlStore::remove(&sparql_dir).unwrap());
        assert!(!sparql_dir.try_exists().unwrap());
        assert!(!SparqlStore::stats_path(&sparql_dir).try_exists().unwrap());
        assert!(!SparqlStore::remove(&sparql_dir).unwrap());
    }

    #[test]
    fn an_extra_graph_is_read_back_from_the_store_by_the_next_process() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = CatalogStore::in_memory().unwrap();
        let path = dir.path().join("store-sparql");
        let graph = NamedNode::new_unchecked("urn:moisson:classification");
        {
            let sparql = SparqlStore::open(&path).unwrap();
            sparql
                .sync(&catalog, 1, || {
                    Ok(extra(vec![
                        triple("a", "x"),
                        triple("a", "y"),
                        triple("b", "x"),
                    ]))
                })
                .unwrap();
            // A triple no extra graph is given (a literal object): removed when the graph
            // is read back.
            let stray = triple("a", "x");
            sparql
                .oxigraph()
                .insert(&Quad::new(
                    stray.subject,
                    stray.predicate,
                    oxigraph::model::Literal::new_simple_literal("x"),
                    graph.clone(),
                ))
                .unwrap();
        }
        let sparql = SparqlStore::open(&path).unwrap();
        // `b` is gone, `a` loses `y`, `c` comes.
        let report = sparql
            .sync(&catalog, 1, || {
                Ok(extra(vec![triple("a", "x"), triple("c", "x")]))
            })
            .unwrap();
        assert_eq!((report.quads_added, report.quads_removed), (1, 3));
        assert_eq!(
            graph_triples(&sparql, graph.as_str()),
            [triple("a", "x"), triple("c", "x")].into_iter().collect()
        );
        assert_eq!(
            *sparql.stats().unwrap(),
            PatternStats::read(sparql.oxigraph()).unwrap()
        );
        // The same description again, with a new key: nothing to write.
        let again = sparql
            .sync(&catalog, 2, || {
                Ok(extra(vec![triple("c", "x"), triple("a", "x")]))
            })
            .unwrap();
        assert_eq!((again.quads_added, again.quads_removed), (0, 0));
    }

    #[test]
    fn after_a_failed_sync_the_next_one_reads_the_store_again() {
        let catalog = CatalogStore::in_memory().unwrap();
        let sparql = SparqlStore::in_memory().unwrap();
        sparql
            .sync(&catalog, 1, || {
                Ok(extra(vec![triple("a", "x"), triple("b", "x")]))
            })
            .unwrap();
        // The caller fails half-way through its description.
        let failed = sparql.sync(&catalog, 2, || {
            Ok(vec![ExtraGraph {
                name: NamedNode::new_unchecked("urn:moisson:classification"),
                describe: Box::new(|each| {
                    let t = triple("a", "y");
                    let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) =
                        (t.subject, t.object)
                    else {
                        unreachable!()
                    };
                    each(s.as_ref(), &[(t.predicate.as_ref(), o.as_ref())]);
                    Err(StoreError::Crashed("the index went away".into()))
                }),
            }])
        });
        assert!(failed.is_err());
        assert!(!sparql.is_synced(&catalog, 2));
        sparql
            .sync(&catalog, 2, || {
                Ok(extra(vec![triple("a", "y"), triple("c", "x")]))
            })
            .unwrap();
        assert_eq!(
            graph_triples(&sparql, "urn:moisson:classification"),
            [triple("a", "y"), triple("c", "x")].into_iter().collect()
        );
        assert_eq!(
            *sparql.stats().unwrap(),
            PatternStats::read(sparql.oxigraph()).unwrap()
        );
    }

    /// The triples of `graph` in `store`, blank nodes included as they are.
    fn triples_in(store: &Store, graph: GraphNameRef<'_>) -> HashSet<Triple> {
        store
            .quads_for_pattern(None, None, None, Some(graph))
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    /// Record `n`'s version `v`: a dataset shared by every version and source, a publisher
    /// one of three (its name stated by every record naming it), a keyword per version and
    /// a distribution as a blank node.
    fn version(n: usize, v: usize) -> Vec<Triple> {
        let iri = |s: String| NamedNode::new_unchecked(s);
        let d = iri(format!("https://example.org/d/{n}"));
        let p = iri(format!("https://example.org/p/{}", n % 3));
        // Content-addressed, as record graphs are: the same version is the same triples.
        let x = oxigraph::model::BlankNode::new_unchecked(format!("x{n}v{v}"));
        vec![
            Triple::new(
                d.clone(),
                iri(rdf::TYPE.into()),
                iri("http://www.w3.org/ns/dcat#Dataset".into()),
            ),
            Triple::new(
                d.clone(),
                iri("http://purl.org/dc/terms/publisher".into()),
                p.clone(),
            ),
            Triple::new(
                p,
                iri("http://xmlns.com/foaf/0.1/name".into()),
                oxigraph::model::Literal::new_simple_literal("DREAL"),
            ),
            Triple::new(
                d.clone(),
                iri("http://www.w3.org/ns/dcat#keyword".into()),
                oxigraph::model::Literal::new_simple_literal(format!("mot {}", v % 4)),
            ),
            Triple::new(
                d,
                iri("http://www.w3.org/ns/dcat#distribution".into()),
                x.clone(),
            ),
            Triple::new(
                x,
                iri("http://www.w3.org/ns/dcat#accessURL".into()),
                iri(format!("https://example.org/f/{n}")),
            ),
        ]
    }

    /// Random harvests of two sources stating the same datasets (new versions, returns to
    /// an earlier version, withdrawals, purges, restorations), a sync after most, in transactions or in bulk: the default
    /// graph is always exactly the union of the active records' triples, each shared
    /// triple counted by the graphs stating it, the statistics exact, no retired copy left.
    #[test]
    fn the_default_graph_is_the_union_of_the_active_records_through_any_history() {
        use crate::store::{HarvestCommit, RecordState};
        for bulk_graphs in [1, 3, usize::MAX] {
            let catalog = CatalogStore::in_memory().unwrap();
            let mut sparql = SparqlStore::in_memory().unwrap();
            sparql.bulk_graphs = bulk_graphs;
            let mut random = 0x9e37_79b9_7f4a_7c15_u64 ^ bulk_graphs as u64;
            let mut next = move |bound: usize| {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                (random % bound as u64) as usize
            };
            // (source, record) -> (version, active)
            let mut state: HashMap<(usize, usize), (usize, bool)> = HashMap::new();
            for step in 0..40 {
                let source = next(2);
                let name = ["a", "b"][source];
                let mut commit = HarvestCommit::default();
                let writer = catalog.harvest_writer().unwrap();
                for _ in 0..1 + next(5) {
                    let n = next(8);
                    let graph = |v: usize| format!("urn:moisson:record:{name}:{n}:{v}");
                    let entry = |v: usize, active: bool| {
                        let mut e = test_entry(
                            name,
                            n,
                            graph(v),
                            format!("h{v}"),
                            if active {
                                RecordState::Active
                            } else {
                                RecordState::Withdrawn
                            },
                        );
                        e.withdrawn_at = (!active).then(|| "2026-01-02T00:00:00Z".into());
                        e
                    };
                    let known = state.get(&(source, n)).copied();
                    if commit
                        .upserts
                        .iter()
                        .chain(&commit.updates)
                        .chain(&commit.purges)
                        .any(|e| e.record_iri.ends_with(&format!("/{n}")))
                    {
                        continue;
                    }
                    match (next(4), known) {
                        (0, Some((v, true))) => {
                            commit.updates.push(entry(v, false));
                            state.insert((source, n), (v, false));
                        }
                        (1, Some((v, _))) => {
                            commit.purges.push(entry(v, false));
                            state.remove(&(source, n));
                        }
                        (2, Some((v, false))) => {
                            commit.updates.push(entry(v, true));
                            state.insert((source, n), (v, true));
                        }
                        (_, known) => {
                            // Few versions: a record often comes back to an earlier one.
                            let v = next(3);
                            if known.is_some_and(|(k, _)| k == v) {
                                continue;
                            }
                            writer
                                .write_graph(&NamedNode::new_unchecked(graph(v)), version(n, v))
                                .unwrap();
                            if let Some((old, _)) = known {
                                commit.dropped_graphs.push(graph(old));
                            }
                            commit.upserts.push(entry(v, true));
                            state.insert((source, n), (v, true));
                        }
                    }
                }
                writer.finish().unwrap();
                catalog.commit_harvest(name, commit).unwrap();
                if next(3) == 0 && step != 39 {
                    continue; // two harvests before the next sync
                }
                let report = sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
                assert!(!report.rebuilt, "step {step}");

                let snapshot = catalog.active_snapshot().unwrap();
                let mut stated: HashMap<Triple, u64> = HashMap::new();
                for record in snapshot.records() {
                    for q in catalog.graph_quads(&record.graph).unwrap() {
                        *stated.entry(Triple::from(q)).or_default() += 1;
                    }
                }
                let store = sparql.oxigraph();
                assert_eq!(
                    triples_in(store, GraphNameRef::DefaultGraph),
                    stated.keys().cloned().collect(),
                    "step {step}, bulk from {bulk_graphs}"
                );
                for (triple, n) in &stated {
                    let counted = shared_count(store.quads_for_pattern(
                        Some(triple.subject.as_ref()),
                        Some(triple.predicate.as_ref()),
                        Some(triple.object.as_ref()),
                        None,
                    ))
                    .unwrap();
                    assert_eq!(counted.max(1), *n, "{triple} at step {step}");
                }
                let shared: usize = store
                    .named_graphs()
                    .map(|g| g.unwrap())
                    .filter(|g| g.to_string().contains(SHARED_PREFIX))
                    .map(|g| triples_in(store, GraphNameRef::from(g.as_ref())).len())
                    .sum();
                assert_eq!(shared, stated.values().filter(|n| **n >= 2).count());
                assert_eq!(*sparql.stats().unwrap(), PatternStats::read(store).unwrap());
                assert!(catalog.retired_graphs().unwrap().is_empty(), "step {step}");
            }
        }
    }

    /// A harvest that drops a held graph between the moment a sync takes its snapshot of
    /// the active records and the moment it purges retired copies (two sources' harvests
    /// overlapping, as on any busy server): the dropped graph's copy stays for the next
    /// sync, which takes its triples out instead of rebuilding the whole store.
    #[test]
    fn a_graph_dropped_while_a_sync_runs_is_taken_out_by_the_next_one() {
        use crate::store::{HarvestCommit, RecordState};
        let catalog = CatalogStore::in_memory().unwrap();
        let sparql = SparqlStore::in_memory().unwrap();
        let graph = |v: usize| format!("urn:moisson:record:a:0:{v}");
        let harvest = |v: usize, dropped: Option<usize>| {
            let writer = catalog.harvest_writer().unwrap();
            writer
                .write_graph(&NamedNode::new_unchecked(graph(v)), version(0, v))
                .unwrap();
            writer.finish().unwrap();
            let commit = HarvestCommit {
                upserts: vec![test_entry(
                    "a",
                    0,
                    graph(v),
                    format!("h{v}"),
                    RecordState::Active,
                )],
                dropped_graphs: dropped.map(graph).into_iter().collect(),
                ..HarvestCommit::default()
            };
            catalog.commit_harvest("a", commit).unwrap();
        };
        harvest(0, None);
        sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
        // The sync's snapshot, then the harvest that drops version 0 for version 1.
        let before = catalog.active_snapshot().unwrap();
        harvest(1, Some(0));
        {
            let mut synced = sparql.synced.lock().unwrap();
            let report = sparql
                .sync_held(&mut synced, &catalog, &before, Vec::new())
                .unwrap();
            assert!(!report.rebuilt);
        }
        assert_eq!(
            catalog.retired_graphs().unwrap(),
            vec![NamedNode::new_unchecked(graph(0))],
            "the copy the next sync reads is kept"
        );
        let report = sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
        assert!(!report.rebuilt, "taken out, not rebuilt");
        assert_eq!(report.graphs_removed, 1);
        assert_eq!(
            triples_in(sparql.oxigraph(), GraphNameRef::DefaultGraph),
            version(0, 1).into_iter().collect()
        );
        assert!(catalog.retired_graphs().unwrap().is_empty());
        // A graph the SPARQL store does not hold, or active again, has its copy purged.
        harvest(2, Some(1));
        assert_eq!(catalog.purge_retired(|_| false).unwrap(), 1);
        harvest(1, Some(2));
        assert_eq!(
            catalog.purge_retired(|_| true).unwrap(),
            0,
            "graph 2: held, retired"
        );
        harvest(2, Some(1));
        assert_eq!(
            catalog.purge_retired(|_| true).unwrap(),
            1,
            "graph 2: active again"
        );
        assert_eq!(
            catalog.retired_graphs().unwrap(),
            vec![NamedNode::new_unchecked(graph(1))]
        );
    }

    #[test]
    fn a_store_left_halfway_through_a_sync_or_of_another_layout_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = CatalogStore::in_memory().unwrap();
        let path = dir.path().join("store-sparql");
        commit(&catalog, &[0, 1], &[]);
        let count = |s: &SparqlStore| triples_in(s.oxigraph(), GraphNameRef::DefaultGraph).len();
        {
            let sparql = SparqlStore::open(&path).unwrap();
            sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
            assert_eq!(count(&sparql), 2 + 3);
            // A stray triple, as a crash halfway through a sync could leave.
            sparql
                .oxigraph()
                .insert(&version(9, 9)[0].clone().in_graph(GraphName::DefaultGraph))
                .unwrap();
        }
        // Reopened as it is: kept.
        let sparql = SparqlStore::open(&path).unwrap();
        assert_eq!(count(&sparql), 6);
        drop(sparql);
        // The mark of an unfinished sync: rebuilt from the record store.
        std::fs::write(SparqlStore::syncing_path(&path), b"").unwrap();
        let sparql = SparqlStore::open(&path).unwrap();
        assert_eq!(count(&sparql), 0);
        sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
        assert_eq!(count(&sparql), 5);
        assert!(!SparqlStore::syncing_path(&path).try_exists().unwrap());
        drop(sparql);
        // A store of the layout before (no list of held graphs): rebuilt too.
        std::fs::remove_file(SparqlStore::held_path(&path)).unwrap();
        let sparql = SparqlStore::open(&path).unwrap();
        assert_eq!(count(&sparql), 0);
        // A held graph the record store no longer has (dropped without a copy to read):
        // the sync starts again from empty rather than guess.
        sparql.sync(&catalog, 1, || Ok(Vec::new())).unwrap();
        let mut held = sparql.read_held();
        held.insert("urn:moisson:record:a:404".into());
        sparql.write_held(&held).unwrap();
        drop(sparql);
        let sparql = SparqlStore::open(&path).unwrap();
        commit(&catalog, &[2], &[]);
        assert!(sparql.sync(&catalog, 2, || Ok(Vec::new())).unwrap().rebuilt);
        assert_eq!(count(&sparql), 5 + 4);
        assert!(!sparql.read_held().contains("urn:moisson:record:a:404"));
    }

    #[test]
    fn the_sparql_store_sits_beside_the_record_store() {
        assert_eq!(
            SparqlStore::dir_of(Path::new("/srv/moisson/store")),
            Path::new("/srv/moisson/store-sparql")
        );
    }
}
