//! `moisson reindex`: rebuilds the search index from the store; and the helper every
//! command uses to open the index (rebuilt when missing or incompatible).

use anyhow::Context;
use clap::Args;
use moisson_catalog::CatalogStore;
use moisson_search::{SearchIndex, SourceContexts};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::runner::{source_contexts, Indexing};

#[derive(Args)]
pub(super) struct ReindexArgs {}

/// Opens the index under `data_dir/index` and loads the vocabularies into the store;
/// rebuilds the index from the store when it was missing or incompatible.
pub(super) async fn open_index(
    data_dir: &Path,
    store: &CatalogStore,
    sources: SourceContexts,
) -> anyhow::Result<Arc<Indexing>> {
    open_index_then(data_dir, store, sources, true).await
}

/// [`open_index`]; over a read-only store (another process serves the data), the index
/// is opened read-only too, never rebuilt.
pub(super) async fn open_index_for_reading(
    data_dir: &Path,
    store: &CatalogStore,
    sources: SourceContexts,
) -> anyhow::Result<Arc<Indexing>> {
    if !store.is_read_only() {
        return open_index(data_dir, store, sources).await;
    }
    let dir = crate::DataDir::new(data_dir).index();
    let index = tokio::task::spawn_blocking(move || SearchIndex::open_read_only(&dir))
        .await
        .context("index task")?
        .context("opening the search index read-only")?;
    Ok(Arc::new(Indexing::new(Arc::new(index), sources)))
}

/// [`open_index`], rebuilding a new index only when `rebuild_if_new`.
async fn open_index_then(
    data_dir: &Path,
    store: &CatalogStore,
    sources: SourceContexts,
    rebuild_if_new: bool,
) -> anyhow::Result<Arc<Indexing>> {
    let dir = crate::DataDir::new(data_dir).index();
    let store = store.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Arc<Indexing>> {
        store
            .load_vocabularies()
            .context("loading the vocabularies into the store")?;
        let (index, fresh) = SearchIndex::open_or_create(&dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?;
        if fresh && rebuild_if_new {
            tracing::info!(dir = %dir.display(), "search index missing or incompatible: rebuilding from the store");
            index
                .rebuild(&store, &sources)
                .context("rebuilding the search index")?;
        }
        Ok(Arc::new(Indexing::new(Arc::new(index), sources)))
    })
    .await
    .context("index task")?
}

pub(super) async fn run(_args: ReindexArgs, config: Config) -> anyhow::Result<ExitCode> {
    let store = super::open_store(&config.data_dir)?;
    let sources = source_contexts(&config.sources);
    // Rebuilt once, below, whether the index was there or not.
    let indexing = open_index_then(&config.data_dir, &store, sources, false).await?;
    let started = Instant::now();
    let stats = tokio::task::spawn_blocking(move || {
        let stats = indexing.index.rebuild(&store, &indexing.contexts());
        stats.map(|s| (s, indexing.index.size_bytes()))
    })
    .await
    .context("reindex task")?
    .context("rebuilding the search index")?;
    let (stats, size) = stats;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "index rebuilt: {} records, {} documents in {:.1} s ({:.0} records/s), {:.1} MB",
        stats.records,
        stats.documents,
        secs,
        stats.records as f64 / secs.max(1e-9),
        size as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
