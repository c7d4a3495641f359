//! Batched loading of record graphs.

use oxigraph::model::{GraphName, NamedNode, Quad, Triple};
use oxigraph::store::{BulkLoader, Store};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::StoreError;

/// Quads buffered before a batch goes to the store.
const BATCH_QUADS: usize = 250_000;
/// Batches at least this large use the bulk loader (SST files); smaller ones a transaction.
const BULK_THRESHOLD: usize = 50_000;

/// Returns the quads of record graph `graph` holding `triples`, followed by its compact
/// copy (see [`super::blob`]).
fn graph_quads_with_copy(graph: &NamedNode, triples: Vec<Triple>) -> Vec<Quad> {
    let copy = super::blob::blob_quad(graph, &triples);
    let graph_name = GraphName::NamedNode(graph.clone());
    let mut quads: Vec<Quad> = Vec::with_capacity(triples.len() + 1);
    quads.extend(triples.into_iter().map(|t| t.in_graph(graph_name.clone())));
    quads.push(copy);
    quads
}

/// Loads record graphs into the store in batches.
///
/// Graphs are content-addressed, so loading is idempotent and never changes what readers
/// see until the registry names the new graphs (see [`super::CatalogStore::commit_harvest`]).
pub struct RecordWriter<'a> {
    store: &'a Store,
    batch: Vec<Quad>,
    written_quads: u64,
    /// One bulk loader for all large batches: its SST files are ingested once, at the end.
    loader: Option<BulkLoader<'a>>,
}

impl<'a> RecordWriter<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self {
            store,
            batch: Vec::new(),
            written_quads: 0,
            loader: None,
        }
    }

    /// Queues `triples` as the content of graph `graph`; writes a batch when enough are queued.
    pub fn write_graph(
        &mut self,
        graph: &NamedNode,
        triples: Vec<Triple>,
    ) -> Result<(), StoreError> {
        self.push(graph_quads_with_copy(graph, triples))
    }

    /// Queues quads; writes a batch when enough are queued.
    pub fn push(&mut self, quads: Vec<Quad>) -> Result<(), StoreError> {
        self.batch.extend(quads);
        if self.batch.len() >= BATCH_QUADS {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Writes what is queued.
    pub fn flush_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.written_quads += batch.len() as u64;
        if batch.len() >= BULK_THRESHOLD || self.loader.is_some() {
            let loader = self.loader.get_or_insert_with(|| {
                self.store
                    .bulk_loader()
                    .with_num_threads(2)
                    .with_max_memory_size_in_megabytes(256)
            });
            loader.load_quads(batch)?;
        } else {
            let mut tx = self.store.start_transaction()?;
            tx.extend(batch.iter());
            tx.commit()?;
        }
        Ok(())
    }

    /// Writes what is queued and returns the number of quads written in all (the record
    /// graphs and their compact copies).
    pub fn finish(mut self) -> Result<u64, StoreError> {
        self.flush_batch()?;
        if let Some(loader) = self.loader.take() {
            loader.commit()?;
        }
        Ok(self.written_quads)
    }
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
    thread: Mutex<Option<JoinHandle<Result<u64, StoreError>>>>,
}

impl HarvestWriter {
    pub(crate) fn spawn(store: Store) -> Result<Self, StoreError> {
        // A few pages of records in flight at most: the reader waits for the writer.
        let (sender, receiver) = sync_channel::<Vec<Quad>>(1024);
        let thread = std::thread::Builder::new()
            .name("moisson-writer".into())
            .spawn(move || {
                let mut writer = RecordWriter::new(&store);
                for quads in receiver {
                    writer.push(quads)?;
                }
                writer.finish()
            })?;
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `triples` as the content of graph `graph`; returns the number of quads queued.
    pub fn write_graph(&self, graph: &NamedNode, triples: Vec<Triple>) -> Result<u64, StoreError> {
        let count = triples.len() as u64;
        let quads = graph_quads_with_copy(graph, triples);
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
        Ok(count)
    }

    /// Writes everything queued and waits for it: the graphs are then in the store.
    /// Returns the number of quads written.
    pub fn finish(&self) -> Result<u64, StoreError> {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        match handle {
            Some(h) => h
                .join()
                .map_err(|_| StoreError::Crashed("the store writer thread panicked".into()))?,
            None => Ok(0),
        }
    }
}
