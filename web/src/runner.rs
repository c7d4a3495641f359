//! Runs harvests: one source, or many with bounded concurrency, keeping the running set.

use moisson_catalog::{CatalogStore, JobReport};
use moisson_harvester::{harvest_source, Progress, Source};
use std::sync::Arc;

use crate::app::Harvests;

/// Harvests `source`, whose slot in the running set the caller already took.
pub async fn run_started(
    store: &CatalogStore,
    harvests: &Harvests,
    source: &Source,
    progress: Arc<dyn Progress>,
) -> JobReport {
    let report = harvest_source(
        store,
        &harvests.fetcher,
        source,
        &harvests.options,
        progress,
    )
    .await;
    harvests.done(source.id.as_str());
    report
}

/// Harvests every source of `sources`, `concurrency` at a time; a source already running
/// is skipped with a failed report saying so.
pub async fn run_all(
    store: &CatalogStore,
    harvests: &Arc<Harvests>,
    sources: &[Source],
    concurrency: usize,
    progress: Arc<dyn Progress>,
) -> Vec<JobReport> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, source) in sources.iter().cloned().enumerate() {
        let (store, harvests, progress, semaphore) = (
            store.clone(),
            harvests.clone(),
            progress.clone(),
            semaphore.clone(),
        );
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            if !harvests.try_start(source.id.as_str()) {
                let mut report = JobReport::start(&source.id);
                report.push_error("harvest", "a harvest of this source is already running");
                report.finish(
                    moisson_catalog::JobStatus::Failed,
                    Some("already running".into()),
                );
                return (index, report);
            }
            (
                index,
                run_started(&store, &harvests, &source, progress).await,
            )
        });
    }
    let mut reports: Vec<(usize, JobReport)> = Vec::with_capacity(sources.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => reports.push(r),
            Err(e) => tracing::error!(error = %e, "harvest task crashed"),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}
