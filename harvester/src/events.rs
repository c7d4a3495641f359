//! Notable harvest events. Each `emit()` logs once, with fields first, so that logs and
//! progress displays agree.

use moisson_catalog::JobReport;

/// Receives progress while a source is harvested (a terminal progress bar, the server's
/// live job view). Implementations must be cheap: they are called once per page.
pub trait Progress: Send + Sync {
    /// A page was read: `records` records so far in this job, `total` when the source
    /// announced one.
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>);
    /// The job ended.
    fn finished(&self, report: &JobReport);
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
