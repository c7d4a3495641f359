//! Progress display: one bar per source on a terminal, log lines otherwise; and the
//! summary table printed after a harvest.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use moisson_catalog::JobReport;
use moisson_harvester::Progress;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// Returns bars on a terminal, logs otherwise.
pub(super) fn for_terminal() -> Arc<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Arc::new(Bars::default())
    } else {
        Arc::new(moisson_harvester::LogProgress)
    }
}

#[derive(Default)]
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn bar(&self, source: &str) -> Option<ProgressBar> {
        let mut bars = self.bars.lock().ok()?;
        Some(
            bars.entry(source.to_owned())
                .or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix:<24} {msg} [{elapsed}]")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(source.to_owned());
                    bar
                })
                .clone(),
        )
    }
}

impl Progress for Bars {
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>) {
        if let Some(bar) = self.bar(source) {
            let total = total.map(|t| format!("/{t}")).unwrap_or_default();
            bar.set_message(format!("page {page}, {records}{total} records"));
            bar.tick();
        }
    }

    fn finished(&self, report: &JobReport) {
        if let Some(bar) = self.bar(&report.source) {
            bar.finish_with_message(format!(
                "{}: {} datasets, {} added, {} updated, {} unchanged, {} removed, {} rejected",
                report.status.as_str(),
                report.dataset_count,
                report.counts.added,
                report.counts.updated,
                report.counts.unchanged,
                report.counts.removed,
                report.counts.rejected
            ));
        }
    }
}

/// Returns the summary table of `reports` as text.
pub(super) fn summary_table(reports: &[JobReport]) -> String {
    let mut out = format!(
        "{:<24} {:<8} {:>6} {:>8} {:>8} {:>8} {:>10} {:>8} {:>8} {:>9} {:>9}\n",
        "source",
        "status",
        "pages",
        "datasets",
        "services",
        "added",
        "updated",
        "same",
        "removed",
        "rejected",
        "seconds"
    );
    for r in reports {
        let c = &r.counts;
        out.push_str(&format!(
            "{:<24} {:<8} {:>6} {:>8} {:>8} {:>8} {:>10} {:>8} {:>8} {:>9} {:>9.1}\n",
            r.source,
            r.status.as_str(),
            c.pages,
            r.dataset_count,
            r.service_count,
            c.added,
            c.updated,
            c.unchanged,
            c.removed,
            c.rejected,
            r.duration_ms.unwrap_or(0) as f64 / 1000.0
        ));
        if let Some(reason) = &r.reason {
            out.push_str(&format!("  └ {reason}\n"));
        }
    }
    out
}
