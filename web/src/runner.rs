//! Runs harvests: one source, or many with bounded concurrency, keeping the running set.
//!
//! Link checks are a step of their own, never part of a harvest job: under `moisson serve`
//! they run in the background once the job, its quality run and its index update are
//! done (holding no harvest slot), and `moisson harvest` runs them after its summary. A
//! run that brings new results recomputes the source's quality.

use moisson_catalog::{CatalogStore, JobReport};
use moisson_harvester::links::LinkCheckSummary;
use moisson_harvester::{harvest_source, Progress, Source};
use moisson_search::{changed_datasets, SearchIndex, SourceContext, SourceContexts};
use std::sync::Arc;

use crate::app::Harvests;

/// Harvests `source`, whose slot in the running set the caller already took, once a
/// global and a per-host slot are free (see [`crate::app::Limits`]).
pub async fn run_started(
    store: &CatalogStore,
    harvests: &Harvests,
    source: &Source,
    progress: Arc<dyn Progress>,
) -> JobReport {
    run_started_reaching(store, harvests, source, progress, false).await
}

/// As [`run_started`]; with `defined_at_run_time` (a source of the admin API, see
/// [`crate::live_sources::Sources::defined_at_run_time`]), its pages are fetched with
/// [`moisson_harvester::Fetcher::for_runtime_sources`]: unless `allow_private_addresses`,
/// no connection reaches a private address, even when its name resolves to one after
/// the source was accepted.
pub async fn run_started_reaching(
    store: &CatalogStore,
    harvests: &Harvests,
    source: &Source,
    progress: Arc<dyn Progress>,
    defined_at_run_time: bool,
) -> JobReport {
    let id = source.id.as_str();
    let public_only;
    let fetcher = if defined_at_run_time && !harvests.fetcher.options().allow_private_addresses {
        // IP literals never reach the resolver that checks every connection.
        let built = url::Url::parse(&source.url)
            .map_err(|e| format!("invalid url: {e}"))
            .and_then(|u| {
                moisson_harvester::netguard::check_literal(&u, false).map_err(|e| e.to_string())
            })
            .and_then(|()| {
                moisson_harvester::Fetcher::for_runtime_sources(harvests.fetcher.options().clone())
                    .map_err(|e| e.to_string())
            });
        match built {
            Ok(f) => {
                public_only = f;
                &public_only
            }
            Err(e) => {
                let mut report = JobReport::start(&source.id);
                report.push_error("harvest", e.clone());
                report.finish(moisson_catalog::JobStatus::Failed, Some(e));
                // Kept in the job history, so the operator sees why nothing was fetched.
                let (saving, saved) = (store.clone(), report.clone());
                match tokio::task::spawn_blocking(move || saving.save_job(&saved)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(source = %id, error = %e, "job not saved"),
                    Err(e) => tracing::error!(source = %id, error = %e, "job not saved"),
                }
                tracing::warn!(source = %id, "harvest refused: a private address");
                harvests.done(id);
                return report;
            }
        }
    } else {
        &harvests.fetcher
    };
    harvests.live.set(id, crate::app::LiveJob::default());
    let Some(mut slots) = harvests.limits.acquire(&source.url).await else {
        harvests.done(id);
        let mut report = JobReport::start(&source.id);
        let reason = "not started: the server is stopping";
        report.push_error("harvest", reason);
        report.finish(moisson_catalog::JobStatus::Failed, Some(reason.into()));
        return report;
    };
    harvests.live.set(
        id,
        crate::app::LiveJob {
            started: true,
            ..Default::default()
        },
    );
    let progress: Arc<dyn Progress> = Arc::new(Tee(progress, harvests.live.clone()));
    let before = match &harvests.indexing {
        Some(_) => registry_of(store, source.id.as_str()).await,
        None => None,
    };
    let report = harvest_source(store, fetcher, source, &harvests.options, progress).await;
    slots.release_host();
    let stopping = harvests.options.shutdown.is_cancelled();
    let harvested = report.status != moisson_catalog::JobStatus::Failed && !stopping;
    if harvested && quality_due(store, source, &report).await {
        update_quality(store, source).await;
    }
    // After the quality run, so that re-indexed records carry their new score.
    if let (Some(indexing), Some(before)) = (&harvests.indexing, before) {
        update_index(store, indexing, source.id.as_str(), before).await;
    }
    harvests.done(source.id.as_str());
    if harvested && harvests.check_links {
        spawn_link_check(store, harvests, source);
    }
    report
}

/// Checks the links of `source` in the background (at most one run per source at once;
/// a run already going on for it is left to finish). A shutdown stops it: what it had not
/// stored stays due.
fn spawn_link_check(store: &CatalogStore, harvests: &Harvests, source: &Source) {
    let id = source.id.as_str();
    if !harvests.live.start_link_check(id) {
        tracing::info!(source = id, "links already being checked");
        return;
    }
    let (store, source, live) = (store.clone(), source.clone(), harvests.live.clone());
    let fetch = harvests.fetcher.options().clone();
    let shutdown = harvests.options.shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown.cancelled() => {
                tracing::info!(source = %source.id, "link check stopped by the shutdown");
            }
            _ = check_links(&store, &fetch, &source) => {}
        }
        live.link_check_done(source.id.as_str());
    });
}

/// Sends progress to two receivers (the caller's, and the live view of `/api/sources`).
struct Tee(Arc<dyn Progress>, Arc<crate::app::LiveJobs>);

impl Progress for Tee {
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>) {
        self.0.page_done(source, page, records, total);
        self.1.page_done(source, page, records, total);
    }

    fn finished(&self, report: &JobReport) {
        self.0.finished(report);
        self.1.finished(report);
    }

    fn timed(&self, source: &str, timings: &moisson_harvester::HarvestTimings) {
        self.0.timed(source, timings);
    }
}

/// The search index and what classification needs to know of the sources.
pub struct Indexing {
    /// The index.
    pub index: Arc<SearchIndex>,
    /// Publisher kind and territory of each source.
    contexts: Contexts,
    /// The SPARQL store synced after each index update ([`Indexing::with_sparql`]; one in
    /// memory, made on first use, when none was given).
    sparql: std::sync::OnceLock<moisson_catalog::SparqlStore>,
    /// No SPARQL store exists beside the record store: the copies of record graphs a
    /// harvest drops are purged after each index update instead of waiting for a sync.
    purge_retired: bool,
}

/// Where the sources' contexts come from.
enum Contexts {
    /// A list read once (the CLI, benchmarks).
    Fixed(SourceContexts),
    /// The server's live list: a source added or changed at run time (admin API, `SIGHUP`)
    /// is classified with its own publisher kind and territory from its first harvest.
    Live(crate::live_sources::Sources),
}

impl Indexing {
    /// `index` with the contexts of a fixed list of sources.
    pub fn new(index: Arc<SearchIndex>, contexts: SourceContexts) -> Self {
        Self {
            index,
            contexts: Contexts::Fixed(contexts),
            sparql: std::sync::OnceLock::new(),
            purge_retired: false,
        }
    }

    /// `index` with the contexts of `sources` as they are when the index is written.
    pub fn live(index: Arc<SearchIndex>, sources: crate::live_sources::Sources) -> Self {
        Self {
            index,
            contexts: Contexts::Live(sources),
            sparql: std::sync::OnceLock::new(),
            purge_retired: false,
        }
    }

    /// The same, with no SPARQL store at all (`[server] sparql = false`): retired copies
    /// are purged after each index update.
    pub fn without_sparql(mut self) -> Self {
        self.purge_retired = true;
        self
    }

    /// The same, syncing `sparql` (the server's on-disk SPARQL store).
    pub fn with_sparql(self, sparql: moisson_catalog::SparqlStore) -> Self {
        let _ = self.sparql.set(sparql);
        self
    }

    /// The SPARQL store queries run on (see [`Indexing::with_sparql`]).
    pub fn sparql(&self) -> Result<&moisson_catalog::SparqlStore, moisson_catalog::StoreError> {
        if let Some(sparql) = self.sparql.get() {
            return Ok(sparql);
        }
        let made = moisson_catalog::SparqlStore::in_memory()?;
        Ok(self.sparql.get_or_init(|| made))
    }

    /// Brings the SPARQL store to what readers of `store` may see now (the classification
    /// of this index included); logs what it did when it changed something.
    pub fn sync_sparql(&self, store: &CatalogStore) -> Result<(), moisson_catalog::StoreError> {
        let report = crate::api::sparql_dataset::sync_sparql(store, &self.index, self.sparql()?)?;
        if !report.is_empty() {
            tracing::info!(
                added = report.graphs_added,
                removed = report.graphs_removed,
                quads_added = report.quads_added,
                quads_removed = report.quads_removed,
                millis = report.millis,
                "sparql store synced"
            );
        }
        Ok(())
    }

    /// The sources' contexts now.
    pub fn contexts(&self) -> SourceContexts {
        match &self.contexts {
            Contexts::Fixed(contexts) => contexts.clone(),
            Contexts::Live(sources) => source_contexts(&sources.current()),
        }
    }
}

/// Returns what classification needs to know of `sources` (publisher kind, territory).
pub fn source_contexts(sources: &[Source]) -> SourceContexts {
    sources
        .iter()
        .map(|s| {
            (
                s.id.as_str().to_owned(),
                SourceContext {
                    publisher_kind: s.publisher_kind.clone(),
                    territory: s.territory.clone(),
                },
            )
        })
        .collect()
}

use moisson_catalog::Registry;

async fn registry_of(store: &CatalogStore, source: &str) -> Option<Registry> {
    let (store, id) = (store.clone(), source.to_owned());
    match tokio::task::spawn_blocking(move || store.registry(&id)).await {
        Ok(Ok(registry)) => Some(registry),
        Ok(Err(e)) => {
            tracing::error!(source, error = %e, "reading the registry before a harvest; the index will not be updated");
            None
        }
        Err(e) => {
            tracing::error!(source, error = %e, "registry task failed");
            None
        }
    }
}

/// Removes every retired copy of a dropped record graph (kept for the SPARQL store's
/// sync: only where no SPARQL store exists); returns how many.
pub fn purge_retired(store: &CatalogStore) -> Result<usize, moisson_catalog::StoreError> {
    store.purge_retired(|_| false)
}

/// Re-indexes the datasets of `source` whose registry entries the harvest changed.
async fn update_index(
    store: &CatalogStore,
    indexing: &Arc<Indexing>,
    source: &str,
    before: Registry,
) {
    let (store, indexing, id) = (store.clone(), indexing.clone(), source.to_owned());
    let result = tokio::task::spawn_blocking(move || {
        let after = store.registry(&id)?;
        let changed = changed_datasets(&before, &after);
        let stats = indexing
            .index
            .update(&store, &indexing.contexts(), &changed)
            .map_err(anyhow::Error::from)
            .map(|stats| (changed.len(), stats))?;
        // SPARQL sees the harvest once its store is synced (a failed sync is tried again
        // by the next query). Without an on-disk SPARQL store (`moisson harvest`, benches)
        // nothing is synced here: a query, if any comes, syncs first.
        if indexing.sparql.get().is_some() {
            if let Err(e) = indexing.sync_sparql(&store) {
                tracing::error!(error = %e, "syncing the SPARQL store after a harvest");
            }
        } else if indexing.purge_retired {
            if let Err(e) = purge_retired(&store) {
                tracing::error!(error = %e, "purging the copies of dropped record graphs");
            }
        }
        Ok::<_, anyhow::Error>(stats)
    })
    .await;
    match result {
        Ok(Ok((changed, stats))) => tracing::info!(
            source,
            changed,
            records = stats.records,
            documents = stats.documents,
            millis = stats.millis,
            "search index updated after harvest"
        ),
        Ok(Err(e)) => {
            tracing::error!(source, error = %e, "updating the search index after a harvest")
        }
        Err(e) => tracing::error!(source, error = %e, "index update task failed"),
    }
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

/// Returns how the records of `source` reached us (DCAT, or our ISO 19139 mapping).
pub fn record_origin(source: &Source) -> moisson_catalog::quality::RecordOrigin {
    use moisson_catalog::quality::RecordOrigin;
    match (source.protocol, source.csw_output_schema) {
        (moisson_harvester::Protocol::Csw, moisson_harvester::CswOutputSchema::Iso19139) => {
            RecordOrigin::Iso19139Mapping
        }
        _ => RecordOrigin::Dcat,
    }
}

/// Computes and stores the quality of `source` (SHACL reused for unchanged records, one
/// trend point), with the link-check results known so far.
pub fn assess_quality(
    store: &CatalogStore,
    source: &Source,
) -> Result<moisson_catalog::quality::SourceQualityReport, moisson_catalog::StoreError> {
    assess_quality_with(store, source, moisson_catalog::quality::Reuse::Unchanged)
}

/// [`assess_quality`], taking from the previous run what `reuse` allows (records whose
/// inputs did not change are counted from their summaries, without being read).
pub fn assess_quality_with(
    store: &CatalogStore,
    source: &Source,
    reuse: moisson_catalog::quality::Reuse,
) -> Result<moisson_catalog::quality::SourceQualityReport, moisson_catalog::StoreError> {
    assess_quality_counted(store, source, reuse).map(|(report, _)| report)
}

/// [`assess_quality_with`], with how many records were read and how many were counted
/// from the last run's summaries.
pub fn assess_quality_counted(
    store: &CatalogStore,
    source: &Source,
    reuse: moisson_catalog::quality::Reuse,
) -> Result<
    (
        moisson_catalog::quality::SourceQualityReport,
        moisson_catalog::quality::RunCounts,
    ),
    moisson_catalog::StoreError,
> {
    use moisson_catalog::quality::{assess_source_counted, Conformance, SourceAssessment};
    let validator = crate::api::quality::validator();
    let links = store.stored_links();
    let how = SourceAssessment {
        now: chrono::Utc::now(),
        origin: record_origin(source),
        conformance: validator.map(|v| v as &dyn Conformance),
        links: &links,
    };
    let started = std::time::Instant::now();
    let (report, counts) = assess_source_counted(store, source.id.as_str(), &how, reuse)?;
    tracing::info!(
        source = %source.id,
        assessed = counts.assessed,
        unchanged = counts.reused,
        ms = started.elapsed().as_millis() as u64,
        "quality run"
    );
    Ok((report, counts))
}

/// Checks the links of `source` that are due (bounded, cached, after a name resolution
/// probe), then recomputes its quality when the run stored new results; failures are
/// logged. Returns what the run did, `None` when it could not run.
pub async fn check_links(
    store: &CatalogStore,
    fetch: &moisson_harvester::FetchOptions,
    source: &Source,
) -> Option<LinkCheckSummary> {
    use moisson_harvester::links::{check_source_links, LinkCheckOptions, LinkChecker};
    let id = source.id.as_str();
    let checker = match LinkChecker::new(fetch, LinkCheckOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(source = id, error = %e, "building the link checker");
            return None;
        }
    };
    let summary = match check_source_links(store, &checker, id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(source = id, error = %e, "checking links");
            return None;
        }
    };
    tracing::info!(
        source = id,
        links = summary.links,
        checked = summary.checked,
        cached = summary.cached,
        broken = summary.broken,
        deferred = summary.deferred,
        resolution_failed = summary.resolution_failed,
        "links checked"
    );
    if summary.checked > 0 {
        update_quality(store, source).await;
    }
    Some(summary)
}

/// Whether the quality of `source` must be recomputed after `report`: always when the
/// harvest changed records; for an unchanged source at most once a day (the indicators'
/// clock has a day's granularity), so that an unchanged harvest writes nothing.
async fn quality_due(store: &CatalogStore, source: &Source, report: &JobReport) -> bool {
    let c = &report.counts;
    if c.added + c.updated + c.removed > 0 {
        return true;
    }
    let (store, id) = (store.clone(), source.id.to_string());
    let last = match tokio::task::spawn_blocking(move || store.quality_trend(&id)).await {
        Ok(Ok(points)) => points.last().map(|p| p.harvested_at.clone()),
        _ => None,
    };
    let today = chrono::Utc::now().date_naive();
    last.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .is_none_or(|t| t.with_timezone(&chrono::Utc).date_naive() != today)
}

/// Recomputes the quality of `source` after its harvest; failures are logged.
async fn update_quality(store: &CatalogStore, source: &Source) {
    let (store, source) = (store.clone(), source.clone());
    let id = source.id.to_string();
    let started = std::time::Instant::now();
    match tokio::task::spawn_blocking(move || assess_quality(&store, &source)).await {
        Ok(Ok(report)) => tracing::info!(
            source = %id,
            score = report.score,
            records = report.record_count,
            millis = started.elapsed().as_millis() as u64,
            "quality computed after harvest"
        ),
        Ok(Err(e)) => {
            tracing::error!(source = %id, error = %e, "computing quality after a harvest")
        }
        Err(e) => tracing::error!(source = %id, error = %e, "quality task failed"),
    }
}
