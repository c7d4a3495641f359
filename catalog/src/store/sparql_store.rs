//! The SPARQL store: a second oxigraph store, derived from the record store like the search
//! index, that holds exactly what SPARQL queries may see, so that oxigraph evaluates them
//! natively (on its internal term ids) over the union of its graphs.
//!
//! Why: evaluating over the record store needs a reachability test per quad read, and the
//! record store's only public reading API decodes every quad into strings (up to four
//! dictionary reads each). Measured at 100,000 records (issue 19), native evaluation over
//! a store holding only reachable graphs answered the slow queries of `moisson
//! bench-sparql` 6 to 38 times faster.
//!
//! Invariants:
//! - It holds the graph of every active record (same graph name, same quads), the
//!   vocabulary graphs, and the graphs the caller materializes ([`SparqlStore::sync`]'s
//!   `extra`, e.g. what search assigned each dataset). Nothing else: not the metadata
//!   graph, the compact copies, withdrawn or superseded records, uncommitted graphs.
//! - It is derived: deleting its folder loses nothing; the next [`SparqlStore::sync`]
//!   rebuilds it from the record store. A sync adds and removes only what differs.
//! - Readers in other processes open it read-only and are stamped with
//!   [`SparqlStore::generation`], which moves after every sync that changed something.
//! - Its [`PatternStats`] (quads per predicate, resources per class, over every graph) are
//!   kept by each sync, written beside it (`{dir}.stats.json`) before the generation
//!   moves, and read by read-only opens. They are a planning hint: a missing or stale file
//!   makes queries slower, never wrong.

use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Quad, QuadRef, Term, Triple,
};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{CatalogStore, StoreError};
use crate::vocab::{mv, rdf};

/// The vocabulary graphs (`urn:moisson:vocab:{name}`), copied once.
const VOCABULARY_GRAPHS: [&str; 3] = ["themes", "use-cases", "territories"];

/// Quads added at once above which a sync loads them in bulk rather than in a transaction.
const BULK_QUADS: usize = 50_000;

/// A graph the caller computes and the SPARQL store holds as it is given.
pub struct ExtraGraph {
    /// The graph's name.
    pub name: NamedNode,
    /// Its triples.
    pub triples: Vec<Triple>,
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
            predicates: count(
                "SELECT ?k (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?k ?o } } GROUP BY ?k",
            )?,
            classes: count(&format!(
                "SELECT ?k (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{}> ?k }} }} GROUP BY ?k",
                rdf::TYPE
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
    /// The triples of each extra graph held.
    extra: Vec<(NamedNode, HashSet<Triple>)>,
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

    /// Opens (or creates) the SPARQL store in `dir`, for syncing and querying.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self::over(Store::open(dir)?, Some(dir), false))
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

    /// The statistics file of the SPARQL store in `dir`: its sibling `{name}.stats.json`.
    pub fn stats_path(dir: &Path) -> PathBuf {
        let mut name = dir.file_name().unwrap_or_default().to_os_string();
        name.push(".stats.json");
        dir.with_file_name(name)
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
        }
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
    pub fn sync(
        &self,
        catalog: &CatalogStore,
        key: u64,
        extra: impl FnOnce() -> Result<Vec<ExtraGraph>, StoreError>,
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
        let mut report = SyncReport::default();
        if synced.graphs.is_none() {
            synced.graphs = Some(self.held_graphs(&extra)?);
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
        } = &mut *synced;
        let held = graphs.as_mut().expect("read just above");
        let stats = Arc::make_mut(stats.as_mut().expect("read just above"));

        // Record and vocabulary graphs: the wanted names, then the difference.
        let mut wanted: HashSet<&str> = snapshot.records.iter().map(|r| r.graph.as_str()).collect();
        let vocab = Self::vocabulary_graphs();
        wanted.extend(vocab.iter().map(NamedNode::as_str));
        let gone: Vec<String> = held
            .iter()
            .filter(|g| !wanted.contains(g.as_str()))
            .cloned()
            .collect();
        for graph in &gone {
            let name = NamedNode::new_unchecked(graph.as_str());
            for quad in self.store.quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(name.as_ref())),
            ) {
                stats.remove(quad?.as_ref());
            }
            self.store.remove_named_graph(name.as_ref())?;
            held.remove(graph);
            report.graphs_removed += 1;
        }
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|g| !held.contains(*g))
            .collect();
        let mut loader = Loader::new(&self.store);
        for graph in &missing {
            // A record graph from its compact copy; a vocabulary graph quad by quad.
            let quads = catalog.graph_quads(graph)?;
            report.quads_added += quads.len();
            quads.iter().for_each(|q| stats.add(q.as_ref()));
            loader.add(quads)?;
            report.graphs_added += 1;
        }
        loader.finish()?;
        held.extend(missing.iter().map(|g| (*g).to_owned()));

        // Extra graphs: the triples that differ.
        for graph in extra {
            let known = match extra_held.iter().position(|(n, _)| *n == graph.name) {
                Some(i) => i,
                None => {
                    let triples = self.graph_triples(&graph.name)?;
                    extra_held.push((graph.name.clone(), triples));
                    extra_held.len() - 1
                }
            };
            let now: HashSet<Triple> = graph.triples.into_iter().collect();
            let held = &mut extra_held[known].1;
            let name = GraphName::NamedNode(graph.name.clone());
            let removed: Vec<Quad> = held
                .difference(&now)
                .map(|t| t.clone().in_graph(name.clone()))
                .collect();
            let added: Vec<Quad> = now
                .difference(held)
                .map(|t| t.clone().in_graph(name.clone()))
                .collect();
            report.quads_removed += removed.len();
            report.quads_added += added.len();
            removed.iter().for_each(|q| stats.remove(q.as_ref()));
            added.iter().for_each(|q| stats.add(q.as_ref()));
            for part in removed.chunks(BULK_QUADS) {
                let mut tx = self.store.start_transaction()?;
                for quad in part {
                    tx.remove(quad);
                }
                tx.commit()?;
            }
            let mut loader = Loader::new(&self.store);
            loader.add(added)?;
            loader.finish()?;
            *held = now;
        }
        if counted || !report.is_empty() {
            self.write_stats(stats);
        }
        if !report.is_empty() {
            // Read-only opens replay the write-ahead log: leave it short.
            self.store.flush()?;
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        synced.at = Some((snapshot.generation, key));
        report.millis = started.elapsed().as_millis() as u64;
        Ok(report)
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

    /// The record and vocabulary graphs the store holds (extra graphs left out).
    fn held_graphs(&self, extra: &[ExtraGraph]) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(name) = graph? {
                if !extra.iter().any(|e| e.name == name) {
                    out.insert(name.into_string());
                }
            }
        }
        Ok(out)
    }

    fn graph_triples(&self, name: &NamedNode) -> Result<HashSet<Triple>, StoreError> {
        let mut out = HashSet::new();
        for quad in self.store.quads_for_pattern(
            None,
            None,
            None,
            Some(GraphNameRef::NamedNode(name.as_ref())),
        ) {
            out.insert(Triple::from(quad?));
        }
        Ok(out)
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

    fn triple(s: &str, o: &str) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(format!("https://example.org/{s}")),
            NamedNode::new_unchecked("http://www.w3.org/ns/dcat#theme"),
            NamedNode::new_unchecked(format!("https://example.org/{o}")),
        )
    }

    fn extra(triples: Vec<Triple>) -> Vec<ExtraGraph> {
        vec![ExtraGraph {
            name: NamedNode::new_unchecked("urn:moisson:classification"),
            triples,
        }]
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
        let held: HashSet<Triple> = sparql
            .graph_triples(&NamedNode::new_unchecked("urn:moisson:classification"))
            .unwrap();
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

    /// Writes record graph `n` of source `a` (a dataset typed `dcat:Dataset` with `n + 1`
    /// keywords) and commits it active, or withdraws it.
    fn commit(catalog: &CatalogStore, upserts: &[usize], withdrawn: &[usize]) {
        use crate::store::{HarvestCommit, RecordEntry, RecordState};
        let entry = |n: usize, state| RecordEntry {
            graph: format!("urn:moisson:record:a:{n}"),
            source: "a".into(),
            record_iri: format!("https://example.org/d/{n}"),
            dataset_id: format!("id{n}"),
            kind: crate::model::RecordKind::Dataset,
            hash: format!("h{n}"),
            page_url: "https://example.org/catalog".into(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-01-01T00:00:00Z".into(),
            state,
            withdrawn_at: None,
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
    }

    #[test]
    fn the_sparql_store_sits_beside_the_record_store() {
        assert_eq!(
            SparqlStore::dir_of(Path::new("/srv/moisson/store")),
            Path::new("/srv/moisson/store-sparql")
        );
    }
}
