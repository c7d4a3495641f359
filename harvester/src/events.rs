//! Notable harvest events. Each `emit()` logs once, with fields first, so that logs and
//! progress displays agree.

use moisson_catalog::{JobReport, WriterStats};
use std::time::Duration;

/// Receives progress while a source is harvested (a terminal progress bar, the server's
/// live job view). Implementations must be cheap: they are called once per page.
pub trait Progress: Send + Sync {
    /// A page was read: `records` records so far in this job, `total` when the source
    /// announced one.
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>);
    /// The job ended.
    fn finished(&self, report: &JobReport);
    /// Where the time of a job that committed went; called just before [`Self::finished`].
    fn timed(&self, source: &str, timings: &HarvestTimings) {
        let _ = (source, timings);
    }
}

/// Where the time of one harvest went, step by step. Reading pages and writing record
/// graphs overlap (the writer has a thread of its own), so the steps add up to more than
/// the job's wall time; `write_tail` is what the writer took after the last page was read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HarvestTimings {
    /// Fetching pages (spooled to disk while hashed).
    pub fetch: Duration,
    /// Parsing bodies into triples.
    pub parse: Duration,
    /// Grouping triples into records, hashing them, comparing them with the registry.
    pub group: Duration,
    /// Copying each new record version's triples out of its page.
    pub materialize: Duration,
    /// The record writer: building quads and compact copies, queue waits, loading.
    pub writer: WriterStats,
    /// From the last page read to the record graphs all in the store.
    pub write_tail: Duration,
    /// The registry commit (one transaction, then the log flush).
    pub registry_commit: Duration,
    /// The whole job.
    pub total: Duration,
}

impl HarvestTimings {
    /// The steps as (name, seconds), in pipeline order.
    pub fn steps(&self) -> [(&'static str, f64); 11] {
        let w = &self.writer;
        [
            ("fetch", self.fetch.as_secs_f64()),
            ("parse", self.parse.as_secs_f64()),
            ("group, hash, compare", self.group.as_secs_f64()),
            ("materialize records", self.materialize.as_secs_f64()),
            ("quads + compact copies", w.encode.as_secs_f64()),
            ("writer queue wait", w.queue_wait.as_secs_f64()),
            ("writer idle", w.idle.as_secs_f64()),
            ("bulk loader load", w.load.as_secs_f64()),
            ("bulk loader commit", w.commit.as_secs_f64()),
            ("write tail after reading", self.write_tail.as_secs_f64()),
            ("registry commit", self.registry_commit.as_secs_f64()),
        ]
    }
}

/// A [`Progress`] that only logs.
pub struct LogProgress;

impl Progress for LogProgress {
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>) {
        tracing::debug!(source, page, records, total, "page harvested");
    }

    fn finished(&self, report: &JobReport) {
        HarvestFinished(report).emit();
    }

    fn timed(&self, source: &str, timings: &HarvestTimings) {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let w = &timings.writer;
        tracing::debug!(
            source,
            fetch_ms = ms(timings.fetch),
            parse_ms = ms(timings.parse),
            group_ms = ms(timings.group),
            materialize_ms = ms(timings.materialize),
            encode_ms = ms(w.encode),
            queue_wait_ms = ms(w.queue_wait),
            writer_idle_ms = ms(w.idle),
            load_ms = ms(w.load),
            load_commit_ms = ms(w.commit),
            write_tail_ms = ms(timings.write_tail),
            registry_commit_ms = ms(timings.registry_commit),
            total_ms = ms(timings.total),
            quads = w.quads,
            "harvest timings"
        );
    }
}

/// A harvest job ended.
pub struct HarvestFinished<'a>(pub &'a JobReport);

impl HarvestFinished<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        let r = self.0;
        let c = &r.counts;
        match r.status {
            moisson_catalog::JobStatus::Failed => tracing::error!(
                source = %r.source, pages = c.pages, reason = r.reason.as_deref().unwrap_or(""),
                "harvest failed"
            ),
            _ => tracing::info!(
                source = %r.source, status = r.status.as_str(), pages = c.pages, added = c.added,
                updated = c.updated, unchanged = c.unchanged, removed = c.removed,
                rejected = c.rejected, duration_ms = r.duration_ms.unwrap_or(0),
                "harvest finished"
            ),
        }
    }
}

/// A record was rejected.
pub struct RecordRejected<'a> {
    /// Source id.
    pub source: &'a str,
    /// Where.
    pub location: &'a str,
    /// Why.
    pub message: &'a str,
}

impl RecordRejected<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            source = self.source,
            location = self.location,
            message = self.message,
            "record rejected"
        );
    }
}
