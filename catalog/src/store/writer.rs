//! Batched loading of record graphs.

use oxigraph::model::{GraphName, NamedNode, Quad, Triple, TripleRef};
use oxigraph::store::{BulkLoader, Store};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::StoreError;

/// Batches at least this large use the bulk loader (SST files); smaller ones a transaction.
/// Quads are buffered until there are this many, or the writer finishes.
const BULK_THRESHOLD: usize = 50_000;
/// Least quads buffered before a batch goes to the bulk loader once it is in use: each
/// batch is turned into SST files by a thread of its own while the harvest goes on (one
/// batch of everything at the end was 1.4 s of a 100,000-record harvest after its last
/// page); its files are ingested as the next batches are handed over (all at once when
/// the writer finished left 0.5-0.7 s of copying after the last page). Batches grow
/// with what was written (a quarter of it), so that a harvest of millions of records
/// ingests a few dozen overlapping files per index, not hundreds (they land in level 0,
/// and past RocksDB's stop-writes trigger the next write would wait for compaction).
const LOADER_BATCH_QUADS: usize = 16_384;

/// Returns what the record store keeps of record graph `graph` holding `triples`: its
/// compact copy (see [`super::blob`]), or, when the copy would be too large to read back,
/// the graph's quads.
fn record_quads(graph: &NamedNode, triples: Vec<Triple>) -> Vec<Quad> {
    record_quads_within(graph, triples, super::blob::MAX_TEXT_BYTES)
}

/// [`record_quads`] of borrowed triples.
fn record_quads_of(graph: &NamedNode, triples: &[TripleRef<'_>]) -> Vec<Quad> {
    if let Some(copy) =
        super::blob::blob_quad_of(graph, triples.iter().copied(), super::blob::MAX_TEXT_BYTES)
    {
        return vec![copy];
    }
    let graph_name = GraphName::NamedNode(graph.clone());
    triples
        .iter()
        .map(|t| t.into_owned().in_graph(graph_name.clone()))
        .collect()
}

/// [`record_quads`], copies of more than `max_bytes` of text refused.
pub(crate) fn record_quads_within(
    graph: &NamedNode,
    triples: Vec<Triple>,
    max_bytes: usize,
) -> Vec<Quad> {
    if let Some(copy) = super::blob::blob_quad_within(graph, &triples, max_bytes) {
        return vec![copy];
    }
    let graph_name = GraphName::NamedNode(graph.clone());
    triples
        .into_iter()
        .map(|t| t.in_graph(graph_name.clone()))
        .collect()
}

/// Loads record graphs into the store in batches.
///
/// Graphs are content-addressed, so loading is idempotent and never changes what readers
/// see until the registry names the new graphs (see [`super::CatalogStore::commit_harvest`]).
pub struct RecordWriter<'a> {
    store: &'a Store,
    batch: Vec<Quad>,
    written_quads: u64,
    /// Time spent handing batches to the store (transactions, or the bulk loader, which
    /// blocks while its threads are all busy).
    load: Duration,
    /// One bulk loader for all large batches: its SST files are ingested batch by batch.
    loader: Option<BulkLoader<'a>>,
}

impl<'a> RecordWriter<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self {
            store,
            batch: Vec::new(),
            written_quads: 0,
            load: Duration::ZERO,
            loader: None,
        }
    }

    /// Queues `triples` as the content of graph `graph`; writes a batch when enough are queued.
    pub fn write_graph(
        &mut self,
        graph: &NamedNode,
        triples: Vec<Triple>,
    ) -> Result<(), StoreError> {
        self.push(record_quads(graph, triples))
    }

    /// Queues quads; writes a batch when enough are queued.
    pub fn push(&mut self, quads: Vec<Quad>) -> Result<(), StoreError> {
        self.batch.extend(quads);
        let threshold = if self.loader.is_some() {
            LOADER_BATCH_QUADS.max(usize::try_from(self.written_quads / 4).unwrap_or(usize::MAX))
        } else {
            BULK_THRESHOLD
        };
        if self.batch.len() >= threshold {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Writes what is queued.
    pub fn flush_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let batch = std::mem::take(&mut self.batch);
        self.written_quads += batch.len() as u64;
        if batch.len() >= BULK_THRESHOLD || self.loader.is_some() {
            let loader = self.loader.get_or_insert_with(|| {
                // Without atomicity (see `LOADER_BATCH_QUADS`) nothing changes for
                // readers: they see a graph once the registry names it, and a harvest that
                // fails leaves orphan graphs, collected at the next start, as one written
                // by transactions does.
                self.store
                    .bulk_loader()
                    .with_num_threads(2)
                    .with_max_memory_size_in_megabytes(256)
                    .without_atomicity()
            });
            loader.load_quads(batch)?;
        } else {
            let mut tx = self.store.start_transaction()?;
            tx.extend(batch.iter());
            tx.commit()?;
        }
        self.load += started.elapsed();
        Ok(())
    }

    /// Writes what is queued and returns the number of quads written in all (one compact
    /// copy per record graph, or a graph's quads when it has none).
    pub fn finish(self) -> Result<u64, StoreError> {
        Ok(self.finish_with_stats()?.quads)
    }

    /// Writes what is queued and says where the time went.
    fn finish_with_stats(mut self) -> Result<WriterStats, StoreError> {
        self.flush_batch()?;
        let started = Instant::now();
        if let Some(loader) = self.loader.take() {
            loader.commit()?;
        }
        Ok(WriterStats {
            quads: self.written_quads,
            load: self.load,
            commit: started.elapsed(),
            ..WriterStats::default()
        })
    }
}

/// Where the time of a [`HarvestWriter`] went. The first two are spent by the threads
/// reading pages, the others by the writer's own thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    /// Quads written (record graphs and their compact copies).
    pub quads: u64,
    /// Building the quads of each record graph and its compact copy.
    pub encode: Duration,
    /// Waiting for room in the writer's queue (the writer was behind).
    pub queue_wait: Duration,
    /// The writer's thread waiting for quads (the readers were behind).
    pub idle: Duration,
    /// Handing batches to the store: transactions, or the bulk loader's encoding and
    /// sorting, which blocks while all its threads are busy.
    pub load: Duration,
    /// The bulk loader's last batches and the ingestion of its files into the store.
    pub commit: Duration,
}

/// The record graphs of one whole harvest, written by a thread of their own that owns a
/// [`RecordWriter`]: pages hand it the new versions as they are read, so a paged harvest
/// of 100,000 records ends in one bulk load (one transaction when small) instead of one
/// transaction per page, each with its write-ahead log and memtable growth.
///
/// Nothing is visible to readers before the registry names the graphs, so [`Self::finish`]
/// must return before the harvest commits. A harvest that fails drops the writer: the
/// thread still writes what it was given, graphs no registry names, which
/// [`super::CatalogStore::collect_garbage`] removes.
pub struct HarvestWriter {
    sender: Mutex<Option<SyncSender<Vec<Quad>>>>,
    thread: Mutex<Option<JoinHandle<Result<WriterStats, StoreError>>>>,
    /// Nanoseconds spent building quads, and waiting for room in the queue.
    encode_nanos: AtomicU64,
    queue_wait_nanos: AtomicU64,
}

impl HarvestWriter {
    pub(crate) fn spawn(store: Store) -> Result<Self, StoreError> {
        // About a thousand records in flight at most (batches of `SEND_BATCH_QUADS`): the
        // readers wait for the writer.
        let (sender, receiver) = sync_channel::<Vec<Quad>>(1024 / SEND_BATCH_QUADS);
        let thread = std::thread::Builder::new()
            .name("moisson-writer".into())
            .spawn(move || {
                let mut writer = RecordWriter::new(&store);
                let mut idle = Duration::ZERO;
                loop {
                    let waiting = Instant::now();
                    let Ok(quads) = receiver.recv() else { break };
                    idle += waiting.elapsed();
                    writer.push(quads)?;
                }
                let stats = writer.finish_with_stats()?;
                Ok(WriterStats { idle, ..stats })
            })?;
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
            encode_nanos: AtomicU64::new(0),
            queue_wait_nanos: AtomicU64::new(0),
        })
    }

    /// Queues `triples` as the content of graph `graph`; returns the number of quads queued.
    pub fn write_graph(&self, graph: &NamedNode, triples: Vec<Triple>) -> Result<u64, StoreError> {
        let count = triples.len() as u64;
        let started = Instant::now();
        let quads = record_quads(graph, triples);
        add_nanos(&self.encode_nanos, started.elapsed());
        self.send(quads)?;
        Ok(count)
    }

    /// Returns a batch of graphs for this writer, handed to its thread
    /// a few hundred quads at a time (one hand-over per record woke the writer's
    /// thread 100,000 times in a harvest of 100,000 records: 7 % of its CPU time).
    /// Several threads may fill batches of the same writer at once.
    pub fn batch(&self) -> WriteBatch<'_> {
        WriteBatch {
            writer: self,
            quads: Vec::new(),
        }
    }

    /// Hands `quads` to the writer's thread, waiting for room in its queue.
    fn send(&self, quads: Vec<Quad>) -> Result<(), StoreError> {
        let started = Instant::now();
        let sender = self
            .sender
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| StoreError::Crashed("the harvest writer is already finished".into()))?;
        // A send fails only once the thread stopped on an error, which `finish` returns.
        sender.send(quads).map_err(|_| {
            StoreError::Crashed(
                "the store writer stopped on an error (see the job's store error)".into(),
            )
        })?;
        add_nanos(&self.queue_wait_nanos, started.elapsed());
        Ok(())
    }

    /// Writes everything queued and waits for it: the graphs are then in the store.
    /// Returns the number of quads written and where the time went.
    pub fn finish(&self) -> Result<WriterStats, StoreError> {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        let stats = match handle {
            Some(h) => h
                .join()
                .map_err(|_| StoreError::Crashed("the store writer thread panicked".into()))??,
            None => WriterStats::default(),
        };
        Ok(WriterStats {
            encode: Duration::from_nanos(self.encode_nanos.load(Ordering::Relaxed)),
            queue_wait: Duration::from_nanos(self.queue_wait_nanos.load(Ordering::Relaxed)),
            ..stats
        })
    }
}

/// Quads a [`WriteBatch`] gathers before handing them to the writer's thread.
const SEND_BATCH_QUADS: usize = 256;

/// Record graphs gathered for a [`HarvestWriter`] by one thread; see
/// [`HarvestWriter::batch`]. What is still gathered when the batch is dropped without
/// [`WriteBatch::finish`] is not written (the harvest failed: no registry names it).
pub struct WriteBatch<'a> {
    writer: &'a HarvestWriter,
    quads: Vec<Quad>,
}

impl WriteBatch<'_> {
    /// Gathers `triples`, borrowed, as the content of graph `graph` (no owned copy of each
    /// term is made); returns the number of triples.
    pub fn write_graph_of(
        &mut self,
        graph: &NamedNode,
        triples: &[TripleRef<'_>],
    ) -> Result<u64, StoreError> {
        let started = Instant::now();
        let quads = record_quads_of(graph, triples);
        add_nanos(&self.writer.encode_nanos, started.elapsed());
        self.gather(quads)?;
        Ok(triples.len() as u64)
    }

    fn gather(&mut self, quads: Vec<Quad>) -> Result<(), StoreError> {
        if self.quads.is_empty() {
            self.quads = quads;
        } else {
            self.quads.extend(quads);
        }
        if self.quads.len() >= SEND_BATCH_QUADS {
            self.writer.send(std::mem::take(&mut self.quads))?;
        }
        Ok(())
    }

    /// Hands what is gathered to the writer's thread.
    pub fn finish(mut self) -> Result<(), StoreError> {
        match std::mem::take(&mut self.quads) {
            quads if quads.is_empty() => Ok(()),
            quads => self.writer.send(quads),
        }
    }
}

fn add_nanos(counter: &AtomicU64, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    counter.fetch_add(nanos, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::super::CatalogStore;
    use oxigraph::model::{Literal, NamedNode, Triple};

    #[test]
    fn the_harvest_writer_says_what_it_wrote_and_where_the_time_went() {
        let store = CatalogStore::in_memory().expect("store");
        let before = store.quad_count().expect("count");
        let writer = store.harvest_writer().expect("writer");
        let graphs: Vec<NamedNode> = (0..3)
            .map(|i| NamedNode::new_unchecked(format!("urn:moisson:record:t:{i}:h")))
            .collect();
        for (i, graph) in graphs.iter().enumerate() {
            let triples: Vec<Triple> = (0..=i)
                .map(|k| {
                    Triple::new(
                        NamedNode::new_unchecked(format!("https://ex.org/d/{i}")),
                        NamedNode::new_unchecked("http://purl.org/dc/terms/title"),
                        Literal::new_simple_literal(format!("titre {k}")),
                    )
                })
                .collect();
            assert_eq!(
                writer.write_graph(graph, triples).expect("queued"),
                i as u64 + 1
            );
        }
        let stats = writer.finish().expect("written");
        // One compact copy per graph, holding its 1, 2 and 3 triples.
        assert_eq!(stats.quads, 3);
        assert_eq!(store.quad_count().expect("count") - before, 3);
        for (i, graph) in graphs.iter().enumerate() {
            assert_eq!(
                store.graph_quads(graph.as_str()).expect("read").len(),
                i + 1
            );
        }
        // A finished writer takes nothing more, and says so.
        assert!(writer.write_graph(&graphs[0], Vec::new()).is_err());
    }
}
