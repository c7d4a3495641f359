//! Resident memory and CPU time of this process as Linux reports them (`/proc/self/status`,
//! `/proc/self/stat`): what the benchmarks print, the long jobs (index rebuild) log at each
//! phase and the SPARQL worker bounds. Memory figures are 0 where `/proc` is absent.

/// Resident memory now and at its peak, in MiB.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Resident {
    /// Resident now (`VmRSS`): anonymous and file-backed pages.
    pub rss_mib: f64,
    /// Anonymous part (`RssAnon`): the heap.
    pub anon_mib: f64,
    /// File-backed part (`RssFile`): mapped files, such as index segments being merged.
    /// The kernel can drop these pages under pressure, and reads them again when needed.
    pub file_mib: f64,
    /// Peak of `rss_mib` since start or the last [`reset_peak`] (`VmHWM`).
    pub peak_mib: f64,
}

impl Resident {
    /// Reads the figures of this process.
    pub fn now() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0)
        };
        Self {
            rss_mib: field("VmRSS:"),
            anon_mib: field("RssAnon:"),
            file_mib: field("RssFile:"),
            peak_mib: field("VmHWM:"),
        }
    }
}

/// Returns the peak resident size of this process (`VmHWM`), in MiB.
pub fn peak_mib() -> f64 {
    Resident::now().peak_mib
}

/// Resets the peak resident size (Linux), so each phase of a benchmark reports its own.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time (user + system, every thread) this process has used, in seconds, from
/// `/proc/self/stat` (Linux fixes the user-space clock tick at 100 per second); `None`
/// where it cannot be read.
pub fn cpu_seconds() -> Option<f64> {
    cpu_ticks_of_stat(&std::fs::read_to_string("/proc/self/stat").ok()?).map(|t| t as f64 / 100.0)
}

/// User + system ticks of a `/proc/PID/stat` line (the command name may hold spaces and
/// parentheses: fields are counted after its last `)`).
pub fn cpu_ticks_of_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Linux the figures are read and consistent: the peak is at least the resident
    /// size, which is its anonymous and file-backed parts.
    #[test]
    fn resident_figures_are_consistent() {
        let r = Resident::now();
        if !std::path::Path::new("/proc/self/status").is_file() {
            assert_eq!(r, Resident::default());
            return;
        }
        assert!(r.rss_mib > 0.0 && r.anon_mib > 0.0, "{r:?}");
        assert!(r.peak_mib >= r.rss_mib, "{r:?}");
        // RssShmem is the third part; allow for it and for the rounding of each field.
        assert!(r.anon_mib + r.file_mib <= r.rss_mib + 1.0, "{r:?}");
    }
}
