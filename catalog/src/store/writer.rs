//! Batched loading of record graphs.

use oxigraph::model::{GraphName, NamedNode, Quad, Triple};
use oxigraph::store::{BulkLoader, Store};

use super::StoreError;

/// Quads buffered before a batch goes to the store.
const BATCH_QUADS: usize = 250_000;
/// Batches at least this large use the bulk loader (SST files); smaller ones a transaction.
const BULK_THRESHOLD: usize = 50_000;

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
        let graph_name = GraphName::NamedNode(graph.clone());
        for t in triples {
            self.batch.push(t.in_graph(graph_name.clone()));
        }
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

    /// Writes what is queued and returns the number of quads written in all.
    pub fn finish(mut self) -> Result<u64, StoreError> {
        self.flush_batch()?;
        if let Some(loader) = self.loader.take() {
            loader.commit()?;
        }
        Ok(self.written_quads)
    }
}
