//! One harvest job of one source, from the first page to the registry commit.
//!
//! Invariants:
//! - Nothing readers see changes before [`CatalogStore::commit_harvest`], which runs once,
//!   at the end, and only when the job did not fail.
//! - Records are withdrawn only after a complete walk of the source that returned at
//!   least half of the records it had; withdrawn records come back untouched when they
//!   reappear, and are purged after the grace period.

use chrono::{DateTime, Utc};
use moisson_catalog::{
    dataset_id, CatalogStore, HarvestCommit, JobReport, JobStatus, RecordEntry, RecordState,
    Registry, SourceCounts,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::csw::{self, CswPageError, CswPageInfo};
use crate::dcat::{read_page, PageError, PageResult, RecordOutcome, TakenRecord};
use crate::events::{Progress, RecordRejected};
use crate::fetch::{Conditional, Fetcher, Validators};
use crate::limits::ParseLimits;
use crate::source::{Protocol, Source};

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

const ACCEPT_RDF: &str = "text/turtle, application/ld+json;q=0.95, application/rdf+xml;q=0.9, application/n-triples;q=0.8, application/json;q=0.5, */*;q=0.1";

struct JobState {
    report: JobReport,
    seen: HashMap<String, (TakenRecord, String)>,
    rejected_iris: HashSet<String>,
    /// Rejected records without a usable IRI: they may be any of the source's records.
    unidentified_rejects: u64,
    pages: Vec<(String, String)>,
    complete: bool,
    incomplete_reason: Option<String>,
}

/// The key under which a rejected record is remembered in a job, and whether it names the
/// record: a record rejected before its IRI was known ("record 3 of the page") is keyed by
/// its page too, so that the same position on two pages counts twice.
fn reject_key(iri: &str, page_no: u32) -> (String, bool) {
    let bare = iri.trim_matches(['<', '>']);
    if oxigraph::model::NamedNode::new(bare).is_ok() {
        (bare.to_owned(), true)
    } else {
        (format!("{bare} (page {page_no})"), false)
    }
}

/// Why a job ended at the fault of neither the source nor the store.
pub const INTERRUPTED_BY_SHUTDOWN: &str =
    "interrupted: the server stopped before the harvest ended; nothing was changed";

/// What the store remembers of a page between harvests: the body hash, the next page it
/// pointed to, and the HTTP validators the server gave (for a conditional GET).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PageMemo {
    hash: String,
    next: String,
    validators: Validators,
}

impl PageMemo {
    /// Reads `hash\nnext[\netag\nlast-modified]`.
    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('\n');
        let hash = parts.next().filter(|h| !h.is_empty())?.to_owned();
        let next = parts.next().unwrap_or_default().to_owned();
        let mut field = || parts.next().filter(|v| !v.is_empty()).map(str::to_owned);
        let validators = Validators {
            etag: field(),
            last_modified: field(),
        };
        Some(Self {
            hash,
            next,
            validators,
        })
    }

    fn encode(&self) -> String {
        let Self {
            hash,
            next,
            validators,
        } = self;
        if validators.is_empty() {
            return format!("{hash}\n{next}");
        }
        format!(
            "{hash}\n{next}\n{}\n{}",
            validators.etag.as_deref().unwrap_or_default(),
            validators.last_modified.as_deref().unwrap_or_default()
        )
    }

    fn next_page(&self) -> Option<String> {
        (!self.next.is_empty()).then(|| self.next.clone())
    }
}

/// A fetched page: unchanged since the last harvest, or a body to read.
enum PageState {
    Unchanged(PageMemo),
    Fetched(crate::fetch::FetchedPage),
}

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

fn page_location(page: u32, url: &str) -> String {
    format!("page {page} ({url})")
}

/// `<iri>` for a bare IRI; N-Triples terms and descriptions as they are.
fn bracketed(iri: &str) -> String {
    if iri.starts_with(['<', '_', '(', '"']) {
        iri.to_owned()
    } else {
        format!("<{iri}>")
    }
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
    let report = JobReport::start(&source.id);
    let id = source.id.to_string();
    let running = report.clone();
    if let Err(e) = blocking(store, move |s| s.save_job(&running)).await {
        tracing::error!(error = %e, "saving running job");
    }
    let loaded = {
        let id = id.clone();
        blocking(store, move |s| {
            Ok((s.registry(&id)?, s.page_fingerprints(&id)?))
        })
        .await
    };
    let (registry, fingerprints) = match loaded {
        Ok(v) => v,
        Err(e) => return fail(store, report, "store", &e.to_string(), &*progress).await,
    };
    let registry = Arc::new(registry);
    // One writer for the whole harvest: new record versions of every page in one bulk load.
    let writer = match store.harvest_writer() {
        Ok(w) => Arc::new(w),
        Err(e) => return fail(store, report, "store", &e.to_string(), &*progress).await,
    };
    let mut by_page: HashMap<&str, Vec<&RecordEntry>> = HashMap::new();
    for entry in registry.values().filter(|e| e.state == RecordState::Active) {
        by_page
            .entry(entry.page_url.as_str())
            .or_default()
            .push(entry);
    }
    let mut state = JobState {
        report,
        seen: HashMap::new(),
        rejected_iris: HashSet::new(),
        unidentified_rejects: 0,
        pages: Vec::new(),
        complete: true,
        incomplete_reason: None,
    };
    // CSW: sort on the identifier until the server refuses it.
    let mut csw_sort = true;
    let mut url = match source.protocol {
        Protocol::Dcat => source.url.clone(),
        Protocol::Csw => csw::request::page_request(source, 1, csw_sort).key,
    };
    let mut visited: HashSet<String> = HashSet::new();
    let origin = origin_of(&source.url);
    let mut total_hint = None;
    let deadline = (options.max_job_secs > 0)
        .then(|| tokio::time::Instant::now() + Duration::from_secs(options.max_job_secs));
    loop {
        let page_no = state.report.counts.pages + 1;
        visited.insert(url.clone());
        let mut csw_request = None;
        let stored = fingerprints.get(&url);
        let memo = stored.and_then(|f| PageMemo::decode(f));
        let known = match &memo {
            Some(m) if !options.force => m.validators.clone(),
            _ => Validators::default(),
        };
        let fetch = async {
            match source.protocol {
                Protocol::Dcat => fetcher
                    .get_if_changed(&url, ACCEPT_RDF, &known)
                    .await
                    .map_err(|e| e.to_string()),
                Protocol::Csw => {
                    let start = csw::request::start_of_key(&url).unwrap_or(1);
                    match csw::fetch_page(fetcher, source, start, &mut csw_sort).await {
                        Ok((request, page)) => {
                            csw_request = Some(request);
                            Ok(Conditional::Changed(page))
                        }
                        Err((request, e)) => Err(format!("{e} (request: {})", request.describe())),
                    }
                }
            }
        };
        let fetched = tokio::select! {
            biased;
            halt = halted(options, deadline) => Err(halt),
            fetched = fetch => Ok(fetched),
        };
        if let Some(request) = &csw_request {
            url.clone_from(&request.key);
            visited.insert(url.clone());
        }
        let location = page_location(page_no, &url);
        let fetched = match fetched {
            Ok(Ok(p)) => p,
            Err(Halt::Shutdown) => {
                let report = state.report;
                return fail(
                    store,
                    report,
                    &location,
                    INTERRUPTED_BY_SHUTDOWN,
                    &*progress,
                )
                .await;
            }
            Err(Halt::Budget) => {
                let message = format!(
                    "time budget of {} s spent: paging stopped",
                    options.max_job_secs
                );
                // After the first page, what was read is kept (the job is partial).
                if page_no > 1 {
                    mark_incomplete(&mut state, &location, &message);
                    break;
                }
                let report = state.report;
                return fail(store, report, &location, &message, &*progress).await;
            }
            Ok(Err(message)) => {
                // After the first page, what was read is kept (the job is partial).
                if page_no > 1 {
                    mark_incomplete(&mut state, &location, &message);
                    break;
                }
                let report = state.report;
                return fail(store, report, &location, &message, &*progress).await;
            }
        };
        state.report.counts.pages = page_no;
        // An unchanged page: `304 Not Modified`, or a body byte-identical to last time.
        let page = match (fetched, &memo) {
            (Conditional::NotModified, Some(m)) => PageState::Unchanged(m.clone()),
            (Conditional::NotModified, None) => {
                let report = state.report;
                let message = "the server answered 304 Not Modified to an unconditional request";
                return fail(store, report, &location, message, &*progress).await;
            }
            (Conditional::Changed(page), Some(m)) if !options.force && m.hash == page.hash => {
                let memo = PageMemo {
                    validators: page.validators.clone(),
                    ..m.clone()
                };
                PageState::Unchanged(memo)
            }
            (Conditional::Changed(page), _) => PageState::Fetched(page),
        };
        let next = match page {
            PageState::Unchanged(memo) => {
                // Byte-identical page: its records are the active ones the registry says came
                // from it.
                for entry in by_page.get(url.as_str()).into_iter().flatten() {
                    if !state.seen.contains_key(&entry.record_iri) {
                        let taken = TakenRecord {
                            iri: entry.record_iri.clone(),
                            kind: entry.kind,
                            hash: entry.hash.clone(),
                            graph: entry.graph.clone(),
                            outcome: RecordOutcome::Unchanged,
                        };
                        state
                            .seen
                            .insert(entry.record_iri.clone(), (taken, url.clone()));
                    }
                }
                let next = memo.next_page();
                remember_page(&mut state, &url, stored, memo);
                next
            }
            PageState::Fetched(mut fetched) => {
                let validators = fetched.validators.clone();
                let (writer2, id2, registry2) = (writer.clone(), id.clone(), registry.clone());
                let page_url = fetched.url.clone();
                let (protocol, endpoint) = (source.protocol, source.url.clone());
                let limits = options.limits;
                let result = tokio::task::spawn_blocking(move || {
                    let r = match protocol {
                        Protocol::Dcat => PageRead::Dcat(read_page(
                            &writer2,
                            &id2,
                            &mut fetched,
                            &registry2,
                            &limits,
                        )),
                        Protocol::Csw => PageRead::Csw(csw::read_page(
                            &writer2,
                            &id2,
                            &endpoint,
                            &mut fetched,
                            &registry2,
                            &limits,
                        )),
                    };
                    (r, fetched.hash)
                })
                .await;
                let (result, hash) = match result {
                    Ok(r) => r,
                    Err(e) => {
                        let report = state.report;
                        return fail(
                            store,
                            report,
                            &page_location(page_no, &url),
                            &format!("page reader crashed: {e}"),
                            &*progress,
                        )
                        .await;
                    }
                };
                let (page, csw_info) = match result {
                    PageRead::Dcat(Ok(p)) => (p, None),
                    PageRead::Csw(Ok((p, info))) => (p, Some(info)),
                    PageRead::Csw(Err(e)) => {
                        let mut message = e.to_string();
                        if matches!(e, CswPageError::Response(_)) {
                            if let Some(request) = &csw_request {
                                message.push_str(&format!(" (request: {})", request.describe()));
                            }
                        }
                        let report = state.report;
                        let location = page_location(page_no, &url);
                        return fail(store, report, &location, &message, &*progress).await;
                    }
                    PageRead::Dcat(Err(e)) => {
                        let location = match &e {
                            PageError::Syntax(issue) => match &issue.position {
                                Some(p) => format!("{}, {p}", page_location(page_no, &url)),
                                None => page_location(page_no, &url),
                            },
                            _ => page_location(page_no, &url),
                        };
                        let message = match &e {
                            PageError::Syntax(issue) => issue.message.clone(),
                            other => other.to_string(),
                        };
                        let report = state.report;
                        return fail(store, report, &location, &message, &*progress).await;
                    }
                };
                for issue in &page.issues {
                    let mut location = page_location(page_no, &url);
                    if let Some(s) = &issue.subject {
                        location.push_str(&format!(", record {s}"));
                    }
                    if let Some(p) = &issue.position {
                        location.push_str(&format!(", {p}"));
                    }
                    state
                        .report
                        .push_error(location, format!("syntax error: {}", issue.message));
                }
                for (iri, message) in &page.warnings {
                    state.report.push_warning(
                        format!(
                            "{}, record {}",
                            page_location(page_no, &url),
                            bracketed(iri)
                        ),
                        message.clone(),
                    );
                }
                for (iri, literal) in &page.ill_typed {
                    state.report.push_warning(
                        format!("{}, record <{iri}>", page_location(page_no, &url)),
                        format!("ill-typed literal {literal}"),
                    );
                }
                let new_rejects = page
                    .rejected
                    .iter()
                    .filter(|(iri, _)| !state.rejected_iris.contains(&reject_key(iri, page_no).0))
                    .count() as u64;
                for (iri, message) in &page.rejected {
                    let location = format!("{}, record {iri}", page_location(page_no, &url));
                    RecordRejected {
                        source: &id,
                        location: &location,
                        message,
                    }
                    .emit();
                    state
                        .report
                        .push_error(location, format!("record rejected: {message}"));
                    state.report.counts.rejected += 1;
                    let (key, identified) = reject_key(iri, page_no);
                    if state.rejected_iris.insert(key) && !identified {
                        state.unidentified_rejects += 1;
                    }
                }
                let next = match &csw_info {
                    None => {
                        if page.links.total_items.is_some() {
                            total_hint = page.links.total_items;
                        }
                        choose_next(&page.links.next, &page_url, &url)
                    }
                    Some(info) => {
                        if info.results.matched.is_some() {
                            total_hint = info.results.matched;
                        }
                        let paging = CswPaging {
                            url: &url,
                            page_no,
                            info,
                            new_rejects,
                            sort: csw_sort,
                        };
                        csw_next(source, &mut state, &page, &paging)
                    }
                };
                for record in page.records {
                    if !state.seen.contains_key(&record.iri) {
                        state.seen.insert(record.iri.clone(), (record, url.clone()));
                    }
                }
                let memo = PageMemo {
                    hash,
                    next: next.clone().unwrap_or_default(),
                    validators,
                };
                remember_page(&mut state, &url, stored, memo);
                next
            }
        };
        progress.page_done(&id, page_no, state.seen.len() as u64, total_hint);
        let Some(next) = next else { break };
        if visited.contains(&next) {
            // Pages may have been skipped: what was read is kept, nothing is withdrawn.
            let message = format!("paging loops back to {next}: stopped");
            mark_incomplete(&mut state, &page_location(page_no, &url), &message);
            break;
        }
        if origin_of(&next) != origin {
            state.complete = false;
            state.incomplete_reason = Some(format!(
                "next page {next} is outside the source's host: paging stopped"
            ));
            state.report.push_error(
                page_location(page_no, &url),
                format!("next page {next} is outside the source's host: not followed"),
            );
            break;
        }
        if page_no >= options.max_pages {
            state.complete = false;
            state.incomplete_reason = Some(format!(
                "page cap of {} reached: paging stopped",
                options.max_pages
            ));
            state.report.push_error(
                page_location(page_no, &url),
                format!("page cap of {} reached", options.max_pages),
            );
            break;
        }
        url = next;
    }
    // The new record versions must all be in the store before the registry names them.
    let written = tokio::task::spawn_blocking(move || writer.finish()).await;
    let error = match written {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(e) => Some(format!("store writer crashed: {e}")),
    };
    if let Some(error) = error {
        return fail(store, state.report, "store write", &error, &*progress).await;
    }
    finish(store, state, &registry, options, &*progress).await
}

/// Records why paging stopped early: the job commits what it read, withdraws nothing and
/// ends `partial`.
fn mark_incomplete(state: &mut JobState, location: &str, message: &str) {
    state.report.push_error(location, message);
    state.complete = false;
    state.incomplete_reason = Some(format!("{location}: {message}"));
}

/// Queues the fingerprint of page `url` for the commit, unless the store already holds it.
fn remember_page(state: &mut JobState, url: &str, stored: Option<&String>, memo: PageMemo) {
    let text = memo.encode();
    if stored != Some(&text) {
        state.pages.push((url.to_owned(), text));
    }
}

/// The outcome of reading one page, by protocol.
enum PageRead {
    Dcat(Result<PageResult, PageError>),
    Csw(Result<(PageResult, CswPageInfo), CswPageError>),
}

/// What the job knows of a CSW page when choosing the next one.
struct CswPaging<'a> {
    url: &'a str,
    page_no: u32,
    info: &'a CswPageInfo,
    /// Rejected records of this page not rejected on an earlier page.
    new_rejects: u64,
    sort: bool,
}

/// The next CSW page key, from what the page said and how many new records it brought.
fn csw_next(
    source: &Source,
    state: &mut JobState,
    page: &PageResult,
    paging: &CswPaging<'_>,
) -> Option<String> {
    let CswPaging {
        url,
        page_no,
        info,
        new_rejects,
        sort,
    } = *paging;
    let new_taken = page
        .records
        .iter()
        .filter(|r| !state.seen.contains_key(&r.iri))
        .count() as u64;
    let new_records = new_taken + new_rejects;
    let taken = (state.seen.len() + state.rejected_iris.len()) as u64 + new_taken;
    if let Some(returned) = info.results.returned {
        if returned != info.present {
            state.report.push_warning(
                page_location(page_no, url),
                format!(
                    "numberOfRecordsReturned says {returned} but the page holds {} records",
                    info.present
                ),
            );
        }
    }
    let start = csw::request::start_of_key(url).unwrap_or(1);
    match csw::next_step(start, info, new_records, taken) {
        csw::Step::Next(n) => Some(csw::request::page_request(source, n, sort).key),
        csw::Step::Done => None,
        csw::Step::Stop(reason) => {
            state.complete = false;
            state
                .report
                .push_error(page_location(page_no, url), reason.clone());
            state.incomplete_reason = Some(reason);
            None
        }
    }
}

fn choose_next(
    candidates: &[(Option<String>, String)],
    page_url: &str,
    requested: &str,
) -> Option<String> {
    let resolve = |target: &str| -> Option<String> {
        let base = url::Url::parse(page_url).ok()?;
        base.join(target).ok().map(|u| u.to_string())
    };
    // Prefer the link of the view describing this very page; else any.
    let own = candidates.iter().find(|(from, _)| {
        from.as_deref()
            .is_some_and(|f| f == page_url || f == requested)
    });
    own.or_else(|| candidates.first())
        .and_then(|(_, t)| resolve(t))
}

fn origin_of(url: &str) -> Option<(String, Option<u16>)> {
    let u = url::Url::parse(url).ok()?;
    Some((
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default(),
    ))
}

async fn blocking<T: Send + 'static>(
    store: &CatalogStore,
    f: impl FnOnce(&CatalogStore) -> Result<T, moisson_catalog::StoreError> + Send + 'static,
) -> Result<T, moisson_catalog::StoreError> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(r) => r,
        Err(e) => Err(moisson_catalog::StoreError::Corrupt(format!(
            "store task crashed: {e}"
        ))),
    }
}

async fn fail(
    store: &CatalogStore,
    mut report: JobReport,
    location: &str,
    message: &str,
    progress: &dyn Progress,
) -> JobReport {
    report.push_error(location, message);
    report.finish(JobStatus::Failed, Some(format!("{location}: {message}")));
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

async fn finish(
    store: &CatalogStore,
    mut state: JobState,
    registry: &Registry,
    options: &HarvestOptions,
    progress: &dyn Progress,
) -> JobReport {
    let now = Utc::now();
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut commit = HarvestCommit::default();
    let source = state.report.source.clone();
    for (iri, (record, page_url)) in &state.seen {
        let previous = registry.get(iri);
        match (record.outcome, previous) {
            (RecordOutcome::Unchanged, Some(prev)) => {
                state.report.counts.unchanged += 1;
                if prev.state == RecordState::Withdrawn || prev.page_url != *page_url {
                    let mut entry = prev.clone();
                    entry.state = RecordState::Active;
                    entry.withdrawn_at = None;
                    entry.page_url.clone_from(page_url);
                    commit.updates.push(entry);
                }
            }
            (_, prev) => {
                if prev.is_some() {
                    state.report.counts.updated += 1;
                } else {
                    state.report.counts.added += 1;
                }
                if let Some(prev) = prev {
                    if prev.graph != record.graph {
                        commit.dropped_graphs.push(prev.graph.clone());
                    }
                }
                commit.upserts.push(RecordEntry {
                    graph: record.graph.clone(),
                    source: source.clone(),
                    record_iri: iri.clone(),
                    dataset_id: dataset_id(iri),
                    kind: record.kind,
                    hash: record.hash.clone(),
                    page_url: page_url.clone(),
                    first_seen: prev.map_or_else(|| now_text.clone(), |p| p.first_seen.clone()),
                    last_changed: now_text.clone(),
                    state: RecordState::Active,
                    withdrawn_at: None,
                });
            }
        }
    }
    let previously_active = registry
        .values()
        .filter(|e| e.state == RecordState::Active)
        .count();
    let returned = state.seen.len() + state.rejected_iris.len();
    let mut reason = state.incomplete_reason.take();
    // When the guard refuses to withdraw, what the pages hold disagrees with what stays
    // active: their fingerprints are not kept, so that the next harvest reads them again
    // (and says so again) instead of taking them as unchanged.
    let mut guarded = true;
    let may_withdraw = if !state.complete {
        guarded = false;
        false
    } else if state.unidentified_rejects > 0 && previously_active > 0 {
        // A rejected record whose IRI is unknown may be any record the source had: none of
        // them can be withdrawn safely.
        reason = Some(format!(
            "{} records rejected without an identifier: nothing withdrawn",
            state.unidentified_rejects
        ));
        false
    } else if (returned as f64) < options.min_record_ratio * previously_active as f64 {
        reason = Some(format!(
            "the source returned {returned} records, fewer than half of the {previously_active} it had: nothing withdrawn"
        ));
        false
    } else {
        guarded = false;
        true
    };
    let grace = chrono::Duration::days(i64::from(options.grace_period_days));
    for (iri, entry) in registry.iter() {
        if state.seen.contains_key(iri) {
            continue;
        }
        match entry.state {
            RecordState::Active if may_withdraw && !state.rejected_iris.contains(iri) => {
                let mut e = entry.clone();
                e.state = RecordState::Withdrawn;
                e.withdrawn_at = Some(now_text.clone());
                commit.updates.push(e);
                state.report.counts.removed += 1;
            }
            RecordState::Withdrawn => {
                let expired = entry
                    .withdrawn_at
                    .as_deref()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| now - t.with_timezone(&Utc) >= grace);
                if expired {
                    commit.purges.push(entry.clone());
                }
            }
            RecordState::Active => {}
        }
    }
    let status = if reason.is_some() {
        JobStatus::Partial
    } else if state.report.counts.rejected > 0 {
        reason = Some(format!("{} records rejected", state.report.counts.rejected));
        JobStatus::Partial
    } else {
        JobStatus::Ok
    };
    let mut counts = SourceCounts::default();
    let purged: HashSet<&str> = commit
        .purges
        .iter()
        .map(|p| p.record_iri.as_str())
        .collect();
    let withdrawn_now: HashSet<&str> = commit
        .updates
        .iter()
        .filter(|u| u.state == RecordState::Withdrawn)
        .map(|u| u.record_iri.as_str())
        .collect();
    for (iri, entry) in registry.iter() {
        if state.seen.contains_key(iri) || purged.contains(iri) {
            continue;
        }
        let withdrawn = entry.state == RecordState::Withdrawn || withdrawn_now.contains(iri);
        if !withdrawn {
            bump(&mut counts, entry.kind);
        }
    }
    for (record, _) in state.seen.values() {
        bump(&mut counts, record.kind);
    }
    state.report.dataset_count = counts.datasets;
    state.report.service_count = counts.services;
    state.report.finish(status, reason);
    if guarded {
        state.pages.clear();
    }
    commit.pages = std::mem::take(&mut state.pages);
    commit.job = Some(state.report.clone());
    let report = state.report;
    let source_id = source.clone();
    match blocking(store, move |s| s.commit_harvest(&source_id, &commit)).await {
        Ok(()) => {
            progress.finished(&report);
            report
        }
        Err(e) => {
            let mut failed = report;
            failed.counts = moisson_catalog::JobCounts {
                pages: failed.counts.pages,
                ..Default::default()
            };
            fail(store, failed, "store commit", &e.to_string(), progress).await
        }
    }
}

fn bump(counts: &mut SourceCounts, kind: moisson_catalog::RecordKind) {
    match kind {
        moisson_catalog::RecordKind::Dataset => counts.datasets += 1,
        moisson_catalog::RecordKind::Service => counts.services += 1,
        moisson_catalog::RecordKind::Series => counts.series += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_memos_round_trip_and_read_the_old_form() {
        let old = PageMemo::decode("abc\nhttp://x/?page=2").expect("old form");
        assert_eq!(old.validators, Validators::default());
        assert_eq!(old.next_page().as_deref(), Some("http://x/?page=2"));
        assert_eq!(old.encode(), "abc\nhttp://x/?page=2");
        let memo = PageMemo {
            hash: "abc".into(),
            next: String::new(),
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
        };
        assert_eq!(PageMemo::decode(&memo.encode()), Some(memo.clone()));
        assert_eq!(memo.next_page(), None);
        assert_eq!(PageMemo::decode(""), None);
    }
}
