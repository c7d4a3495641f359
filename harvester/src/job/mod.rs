//! One harvest job of one source, from the first page to the registry commit.
//!
//! The job is a loop over a [`pager::Pager`] (one per protocol) that fetches a page, reads
//! it into records off the async runtime, writes the new record versions, and asks the
//! pager for the next page; [`plan::plan`] then decides, without touching the store, what
//! the commit adds, withdraws and purges.
//!
//! Invariants:
//! - Nothing readers see changes before [`CatalogStore::commit_harvest`], which runs once,
//!   at the end, and only when the job did not fail.
//! - Records are withdrawn only after a complete walk of the source that returned at
//!   least half of the records it had; withdrawn records come back untouched when they
//!   reappear, and are purged after the grace period.

mod memo;
pub(crate) mod pager;
mod plan;
mod walk;

use chrono::Utc;
use moisson_catalog::{
    CatalogStore, HarvestWriter, JobReport, JobStatus, Location, RecordEntry, RecordState,
    Registry, StoreError,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::events::{HarvestTimings, Progress};
use crate::fetch::{Conditional, FetchedPage, Fetcher, Validators};
use crate::limits::ParseLimits;
use crate::pipeline::ReadPage;
use crate::source::Source;
use memo::PageMemo;
use pager::{PageRead, PageReader, Pager, ReadFailure, WalkSoFar};
use walk::{Incomplete, Walk};

/// Settings of a harvest job.
#[derive(Debug, Clone)]
pub struct HarvestOptions {
    /// Most pages read from one source.
    pub max_pages: u32,
    /// Days a withdrawn record is kept before it is removed.
    pub grace_period_days: u32,
    /// Below this fraction of the records it had, a source is not trusted to withdraw.
    pub min_record_ratio: f64,
    /// Re-read pages even when their body is byte-identical to the last harvest.
    pub force: bool,
    /// Wall-time budget of one job, in seconds (0: none). When it is spent, paging stops:
    /// what was read is committed, nothing is withdrawn, and the job is `partial`.
    pub max_job_secs: u64,
    /// Cancelled when the process stops: a running job then ends `failed` (interrupted) at
    /// its next step and commits nothing.
    pub shutdown: CancellationToken,
    /// What one page may make the harvester do or hold (nesting, literal size, expansion).
    pub limits: ParseLimits,
}

impl Default for HarvestOptions {
    fn default() -> Self {
        Self {
            max_pages: 10_000,
            grace_period_days: 7,
            min_record_ratio: 0.5,
            force: false,
            max_job_secs: 4 * 3600,
            shutdown: CancellationToken::new(),
            limits: ParseLimits::default(),
        }
    }
}

/// Why a job ended at the fault of neither the source nor the store.
pub const INTERRUPTED_BY_SHUTDOWN: &str =
    "interrupted: the server stopped before the harvest ended; nothing was changed";

/// Why a job stopped before its next page.
enum Halt {
    /// The process is stopping.
    Shutdown,
    /// `max_job_secs` is spent.
    Budget,
}

/// Waits until `options`' shutdown or the job's `deadline`.
async fn halted(options: &HarvestOptions, deadline: Option<tokio::time::Instant>) -> Halt {
    let budget = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = options.shutdown.cancelled() => Halt::Shutdown,
        () = budget => Halt::Budget,
    }
}

/// A fetched page: unchanged since the last harvest, or a body to read.
enum PageState {
    Unchanged(PageMemo),
    Fetched(FetchedPage),
}

/// What the loop does after a page.
enum Step {
    /// Fetch the page at this key.
    Next(String),
    /// The walk is over (complete or not): commit.
    Done,
    /// The job fails here, committing nothing.
    Fail(Location, String),
}

/// One job's fixed context: what every page step reads.
struct Job<'a> {
    fetcher: &'a Fetcher,
    source: &'a Source,
    options: &'a HarvestOptions,
    progress: &'a dyn Progress,
    registry: Arc<Registry>,
    fingerprints: HashMap<String, String>,
    writer: Arc<HarvestWriter>,
    reader: PageReader,
}

/// Harvests `source` into `store` and returns the job report (also stored).
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub async fn harvest_source(
    store: &CatalogStore,
    fetcher: &Fetcher,
    source: &Source,
    options: &HarvestOptions,
    progress: Arc<dyn Progress>,
) -> JobReport {
    let progress = &*progress;
    let started = Instant::now();
    let mut report = JobReport::start(&source.id);
    report.source_name = Some(source.name.clone());
    let running = report.clone();
    if let Err(e) = blocking(store, move |s| s.save_job(&running)).await {
        tracing::error!(error = %e, "saving running job");
    }
    let id = source.id.to_string();
    let loaded = blocking(store, move |s| {
        // One writer for the whole harvest: new versions of every page in one bulk load.
        Ok((
            s.registry(&id)?,
            s.page_fingerprints(&id)?,
            s.harvest_writer()?,
        ))
    })
    .await;
    let (registry, fingerprints, writer) = match loaded {
        Ok(v) => v,
        Err(e) => return fail(store, report, "store".into(), &e.to_string(), progress).await,
    };
    let job = Job {
        fetcher,
        source,
        options,
        progress,
        registry: Arc::new(registry),
        fingerprints,
        writer: Arc::new(writer),
        reader: Pager::reader(source, options.limits),
    };
    let by_page = active_by_page(&job.registry);
    let mut pager = Pager::new(source);
    let mut walk = Walk::new(report);
    let mut follow = Follow::new(source, options);
    let mut key = pager.first_key(source);
    loop {
        match job
            .page(&mut pager, &mut walk, &mut follow, &by_page, key)
            .await
        {
            Step::Next(next) => key = next,
            Step::Done => break,
            Step::Fail(at, message) => {
                return fail(store, walk.report, at, &message, progress).await;
            }
        }
    }
    // The new record versions must all be in the store before the registry names them.
    let writer = job.writer.clone();
    let tail = Instant::now();
    let written = tokio::task::spawn_blocking(move || writer.finish()).await;
    walk.timings.write_tail = tail.elapsed();
    log_memory("harvest written", walk.seen.len());
    let error = match written {
        Ok(Ok(stats)) => {
            walk.timings.writer = stats;
            None
        }
        Ok(Err(e)) => Some(e.to_string()),
        Err(e) => Some(format!("store writer crashed: {e}")),
    };
    if let Some(error) = error {
        return fail(store, walk.report, "store write".into(), &error, progress).await;
    }
    finish(store, walk, &job.registry, options, progress, started).await
}

impl Job<'_> {
    /// Fetches and reads the page at `key`, and chooses the next one.
    async fn page(
        &self,
        pager: &mut Pager,
        walk: &mut Walk,
        follow: &mut Follow,
        by_page: &HashMap<&str, Vec<&RecordEntry>>,
        mut key: String,
    ) -> Step {
        let page_no = walk.report.counts.pages + 1;
        follow.visited.insert(key.clone());
        let stored = self.fingerprints.get(&key);
        let memo = stored.and_then(|f| PageMemo::decode(f));
        let fetching = Instant::now();
        let fetched = self.fetch(pager, follow, &mut key, memo.as_ref()).await;
        walk.timings.fetch += fetching.elapsed();
        let page = match fetched {
            Ok(page) => page,
            Err((halt, message)) => {
                let at = Location::page(page_no, &key);
                // After the first page, what was read is kept (the job is partial).
                if page_no > 1 && !matches!(halt, Some(Halt::Shutdown)) {
                    walk.mark_incomplete(&at, &message);
                    return Step::Done;
                }
                return Step::Fail(at, message);
            }
        };
        walk.report.counts.pages = page_no;
        let at = Location::page(page_no, &key);
        let next = match page {
            PageState::Unchanged(memo) => {
                let entries = by_page.get(key.as_str()).into_iter().flatten().copied();
                walk.take_unchanged(entries, &key);
                walk.remember_page(&key, stored, &memo);
                memo.next_page()
            }
            PageState::Fetched(fetched) => {
                match self.read(pager, walk, page_no, &key, fetched).await {
                    Ok((next, memo)) => {
                        walk.remember_page(&key, stored, &memo);
                        next
                    }
                    Err(failure) => return Step::Fail(at.at(failure.position), failure.message),
                }
            }
        };
        self.progress.page_done(
            self.source.id.as_str(),
            page_no,
            walk.seen.len() as u64,
            walk.total_hint,
        );
        let Some(next) = next else {
            return Step::Done;
        };
        match follow.check(&next, page_no, &at) {
            Ok(()) => Step::Next(next),
            Err(stop) => {
                walk.stop(&at, stop);
                Step::Done
            }
        }
    }

    /// Fetches the page at `key` (updated to the request actually sent), unless the job
    /// must stop first; a page byte-identical to last time, or `304 Not Modified`, is
    /// unchanged. On error: whether the job was halted, and why.
    async fn fetch(
        &self,
        pager: &mut Pager,
        follow: &mut Follow,
        key: &mut String,
        memo: Option<&PageMemo>,
    ) -> Result<PageState, (Option<Halt>, String)> {
        let options = self.options;
        let known = match memo {
            Some(m) if !options.force => m.validators.clone(),
            _ => Validators::default(),
        };
        let fetched = tokio::select! {
            biased;
            halt = halted(options, follow.deadline) => Err(halt),
            fetched = pager.fetch(self.fetcher, self.source, key, &known) => Ok(fetched),
        };
        let page = match fetched {
            Ok(Ok((sent, page))) => {
                // CSW: the request actually sent (unsorted when the server refused sorting).
                if sent != *key {
                    *key = sent;
                    follow.visited.insert(key.clone());
                }
                page
            }
            Ok(Err(message)) => return Err((None, message)),
            Err(Halt::Shutdown) => {
                return Err((Some(Halt::Shutdown), INTERRUPTED_BY_SHUTDOWN.to_owned()));
            }
            Err(Halt::Budget) => {
                let message = format!(
                    "time budget of {} s spent: paging stopped",
                    options.max_job_secs
                );
                return Err((Some(Halt::Budget), message));
            }
        };
        match (page, memo) {
            (Conditional::NotModified, Some(m)) => Ok(PageState::Unchanged(m.clone())),
            (Conditional::NotModified, None) => Err((
                None,
                "the server answered 304 Not Modified to an unconditional request".into(),
            )),
            (Conditional::Changed(page), Some(m)) if !options.force && m.hash == page.hash => {
                Ok(PageState::Unchanged(PageMemo {
                    validators: page.validators.clone(),
                    ..m.clone()
                }))
            }
            (Conditional::Changed(page), _) => Ok(PageState::Fetched(page)),
        }
    }

    /// Reads page `page_no` (at `key`), writes its new record versions, reports what it
    /// said and takes its records. Returns the next page's key and the page's memo.
    async fn read(
        &self,
        pager: &Pager,
        walk: &mut Walk,
        page_no: u32,
        key: &str,
        fetched: FetchedPage,
    ) -> Result<(Option<String>, PageMemo), ReadFailure> {
        let validators = fetched.validators.clone();
        let hash = fetched.hash.clone();
        let request = pager.request_description();
        let read =
            read_and_write(&self.reader, &self.writer, &self.registry, fetched, request).await?;
        walk.timings.parse += read.times.parse;
        walk.timings.group += read.times.group;
        walk.timings.materialize += read.materialize;
        let new_rejects = walk.absorb(self.source.id.as_str(), page_no, key, &read.outcome);
        let so_far = WalkSoFar {
            records_before: (walk.seen.len() + walk.rejected.len()) as u64,
            new_taken: walk.new_records(&read.outcome.records),
            new_rejects,
        };
        let next = pager.next(self.source, key, &read, so_far);
        let at = Location::page(page_no, key);
        if next.total_hint.is_some() {
            walk.total_hint = next.total_hint;
        }
        for warning in next.warnings {
            walk.report.push_warning(at.clone(), warning);
        }
        if let Some(reason) = next.stop {
            let stop = Incomplete {
                error: reason.clone(),
                reason,
            };
            walk.stop(&at, stop);
        }
        walk.take_records(read.outcome.records, key);
        let memo = PageMemo {
            hash,
            next: next.key.clone().unwrap_or_default(),
            validators,
        };
        Ok((next.key, memo))
    }
}

/// The active records of `registry` by the page they were last read from.
fn active_by_page(registry: &Registry) -> HashMap<&str, Vec<&RecordEntry>> {
    let mut by_page: HashMap<&str, Vec<&RecordEntry>> = HashMap::new();
    for entry in registry.values().filter(|e| e.state == RecordState::Active) {
        by_page
            .entry(entry.page_url.as_str())
            .or_default()
            .push(entry);
    }
    by_page
}

/// Reads `page` off the async runtime and writes its new record versions to `writer`.
async fn read_and_write(
    reader: &PageReader,
    writer: &Arc<HarvestWriter>,
    registry: &Arc<Registry>,
    page: FetchedPage,
    request: Option<String>,
) -> Result<PageRead, ReadFailure> {
    let (reader, writer, registry) = (reader.clone(), writer.clone(), registry.clone());
    let task = tokio::task::spawn_blocking(move || {
        let (read, csw) = reader.read(&page, &registry, request.as_deref())?;
        let materialize = write_new_versions(&read, &writer).map_err(|e| ReadFailure {
            position: None,
            message: e.to_string(),
        })?;
        let times = read.times;
        Ok(PageRead {
            outcome: read.into_outcome(),
            csw,
            page_url: page.url.clone(),
            times,
            materialize,
        })
    });
    match task.await {
        Ok(read) => read,
        Err(e) => Err(ReadFailure {
            position: None,
            message: format!("page reader crashed: {e}"),
        }),
    }
}

/// New versions below which a page's are written by one thread.
const PARALLEL_WRITE_MIN_VERSIONS: usize = 256;

/// Materializes the new record versions of `read` and hands them to `writer`, on as many
/// threads as there are cores (at most 4) when the page has many: each thread takes a
/// contiguous share, reads each version's triples off the page graph and builds its
/// compact copy (the compression is most of it), and frees what it allocated itself. Returns the time spent materializing, summed over
/// the threads.
fn write_new_versions(read: &ReadPage, writer: &HarvestWriter) -> Result<Duration, StoreError> {
    let count = read.new_version_count();
    let threads = crate::parallel::threads_for(count, PARALLEL_WRITE_MIN_VERSIONS);
    let written = crate::parallel::run_parts(threads, |part| -> Result<Duration, StoreError> {
        let mut batch = writer.batch();
        let mut materialize = Duration::ZERO;
        for k in crate::parallel::share(count, threads, part) {
            let copying = Instant::now();
            let written = read.with_new_version(k, |name, triples| {
                materialize += copying.elapsed();
                batch.write_graph_of(name, triples)
            });
            match written {
                Some(written) => written?,
                None => break,
            };
        }
        batch.finish()?;
        Ok(materialize)
    });
    let mut total = Duration::ZERO;
    for part in written {
        total += part.unwrap_or_else(|| {
            Err(StoreError::Crashed(
                "a record writing thread panicked".into(),
            ))
        })?;
    }
    Ok(total)
}

/// The rules of following a link to the next page.
struct Follow {
    /// Page keys already fetched.
    visited: HashSet<String>,
    /// The source's host and port: paging never leaves them.
    origin: Option<(String, Option<u16>)>,
    /// When the job's time budget is spent.
    deadline: Option<tokio::time::Instant>,
    max_pages: u32,
}

impl Follow {
    fn new(source: &Source, options: &HarvestOptions) -> Self {
        Self {
            visited: HashSet::new(),
            origin: origin_of(&source.url),
            deadline: (options.max_job_secs > 0)
                .then(|| tokio::time::Instant::now() + Duration::from_secs(options.max_job_secs)),
            max_pages: options.max_pages,
        }
    }

    /// Whether the walk may go on from page `page_no` (at `at`) to `next`.
    fn check(&self, next: &str, page_no: u32, at: &Location) -> Result<(), Incomplete> {
        if self.visited.contains(next) {
            // Pages may have been skipped: what was read is kept, nothing is withdrawn.
            let message = format!("paging loops back to {next}: stopped");
            return Err(Incomplete {
                reason: format!("{at}: {message}"),
                error: message,
            });
        }
        if origin_of(next) != self.origin {
            return Err(Incomplete {
                error: format!("next page {next} is outside the source's host: not followed"),
                reason: format!("next page {next} is outside the source's host: paging stopped"),
            });
        }
        if page_no >= self.max_pages {
            return Err(Incomplete {
                error: format!("page cap of {} reached", self.max_pages),
                reason: format!("page cap of {} reached: paging stopped", self.max_pages),
            });
        }
        Ok(())
    }
}

fn origin_of(url: &str) -> Option<(String, Option<u16>)> {
    let u = url::Url::parse(url).ok()?;
    Some((
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default(),
    ))
}

/// Logs the resident memory of this process at `step` of a job, with the entries it holds.
fn log_memory(step: &'static str, entries: usize) {
    let memory = moisson_catalog::resident::Resident::now();
    tracing::debug!(
        entries,
        rss_mib = memory.rss_mib as u64,
        anon_mib = memory.anon_mib as u64,
        peak_mib = memory.peak_mib as u64,
        "{step}"
    );
}

async fn blocking<T: Send + 'static>(
    store: &CatalogStore,
    f: impl FnOnce(&CatalogStore) -> Result<T, moisson_catalog::StoreError> + Send + 'static,
) -> Result<T, moisson_catalog::StoreError> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(r) => r,
        Err(e) => Err(moisson_catalog::StoreError::Crashed(format!(
            "store task crashed: {e}"
        ))),
    }
}

async fn fail(
    store: &CatalogStore,
    mut report: JobReport,
    at: Location,
    message: &str,
    progress: &dyn Progress,
) -> JobReport {
    let reason = format!("{at}: {message}");
    report.push_error(at, message);
    report.finish(JobStatus::Failed, Some(reason));
    let id = report.source.clone();
    if let Ok(counts) = blocking(store, move |s| s.source_counts(&id)).await {
        report.dataset_count = counts.datasets;
        report.service_count = counts.services;
    }
    let saved = report.clone();
    if let Err(e) = blocking(store, move |s| s.save_job(&saved)).await {
        tracing::error!(error = %e, "saving failed job");
    }
    progress.finished(&report);
    report
}

/// Plans the commit of `walk` and applies it in one transaction with the job report.
async fn finish(
    store: &CatalogStore,
    mut walk: Walk,
    registry: &Registry,
    options: &HarvestOptions,
    progress: &dyn Progress,
    started: Instant,
) -> JobReport {
    let source = walk.report.source.clone();
    let walked = plan::Walked {
        seen: std::mem::take(&mut walk.seen),
        rejected: &walk.rejected,
        unidentified_rejects: walk.unidentified_rejects,
        rejected_count: walk.report.counts.rejected,
        incomplete_reason: walk.incomplete_reason.clone(),
    };
    let rules = plan::Rules {
        grace_period_days: options.grace_period_days,
        min_record_ratio: options.min_record_ratio,
    };
    // The plan consumes the records seen: their strings move into the commit's entries.
    let plan = plan::plan(&source, registry, walked, rules, Utc::now());
    log_memory(
        "harvest planned",
        plan.commit.upserts.len() + plan.commit.updates.len(),
    );
    let mut report = walk.report;
    report.counts.added = plan.added;
    report.counts.updated = plan.updated;
    report.counts.unchanged = plan.unchanged;
    report.counts.removed = plan.removed;
    report.dataset_count = plan.totals.datasets;
    report.service_count = plan.totals.services;
    report.finish(plan.status, plan.reason);
    let mut commit = plan.commit;
    if plan.keep_page_memos {
        commit.pages = std::mem::take(&mut walk.pages);
    }
    commit.job = Some(report.clone());
    let committing = Instant::now();
    let committed = blocking(store, move |s| s.commit_harvest(&source, commit)).await;
    log_memory("harvest committed", 0);
    let timings = HarvestTimings {
        registry_commit: committing.elapsed(),
        total: started.elapsed(),
        ..walk.timings
    };
    match committed {
        Ok(()) => {
            progress.timed(&report.source, &timings);
            progress.finished(&report);
            report
        }
        Err(e) => {
            let mut failed = report;
            failed.counts = moisson_catalog::JobCounts {
                pages: failed.counts.pages,
                ..Default::default()
            };
            fail(
                store,
                failed,
                "store commit".into(),
                &e.to_string(),
                progress,
            )
            .await
        }
    }
}
