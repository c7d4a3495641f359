//! The allocator of every `moisson` process (the memory budget as a whole is in
//! ARCHITECTURE.md, « Memory budget »), and its figures for `/metrics`.
//!
//! The binary links jemalloc as the `malloc` of the whole process: Rust's allocations and
//! RocksDB's (C++: block caches, memtables) alike. It is built with the settings of
//! `.cargo/config.toml` (`JEMALLOC_SYS_WITH_MALLOC_CONF`) and the `background_threads`
//! feature: a background thread gives freed pages back to the system about ten seconds
//! after they are freed, even while the server is idle; `narenas:1` keeps one arena for
//! every thread (jemalloc's default is four per core, each with partly used slabs of its
//! own; each thread's cache takes most allocations off the arena's lock); `tcache_max:4096`
//! keeps blocks of 4 KiB at most in those caches (jemalloc's default: 32 KiB). With the
//! default, every thread, idle ones too, held freed blocks of RocksDB's caches (5-28 KiB)
//! between its rare collections: under the soak's changing harvests, with the program's
//! allocations flat (287-291 MB from minute 2 to 8, changes confined to 5 sources), the
//! allocator's resident part crept from 308 to 327 MB; without thread caches it stayed at
//! 299-305. Same script (6 December 2026, 600 s): smallest RSS sample of each minute from
//! 3 to 9, 340 → 378 MiB with the default, 337 → 352 with `tcache_max:4096` (peak 396 →
//! 381); first harvest of 100,000 datasets 6.52-6.58 s against 6.18-6.64, search at 1M
//! (2,000 varied requests, 16 clients) p99 47.0 ms against 42.3. An operator can
//! still set `MALLOC_CONF`, which jemalloc reads at start, after the built-in settings.
//!
//! Why not glibc's malloc: `scripts/soak.sh` (50 sources × 500 datasets on one-minute
//! schedules) climbed without end with its defaults (405 MiB at minute 1, 943 at minute
//! 9); with two arenas and fixed thresholds (which the program set by starting itself
//! again until 6 December 2026) the memory in use was flat (glibc's `malloc_stats`:
//! 293-318 MB from minute 2 to 24) but the resident size crept on (441 MiB at minute 3,
//! 529 at minute 24): blocks of RocksDB's caches freed between live ones, which glibc
//! keeps and cannot give back. Under jemalloc the allocated bytes are as flat (299-303 MB
//! from minute 3 to 9) and the resident size follows them: smallest sample of each minute
//! 359-386 MiB from minute 3 to 9 with one arena, then flat over 30 minutes (380-398 MiB
//! from minute 6 to 29): the warm-up is RocksDB's block caches taking in the blocks of the
//! files compactions write, larger blocks replacing small ones (README, « soak »). Two
//! files of [`write_allocator_statistics`] (`kill -USR1`) a few minutes apart tell which
//! size class grows. With one arena against two: first harvest of
//! 100,000 datasets 6.34-6.43 s against 6.19-6.30 s, at 411-415 MiB against 435-437;
//! search at 1M as fast (1,018-1,031 requests/s against 985-1,008). The 1,000,000-record
//! index rebuild takes 133 s instead of 240 under glibc, at the same peak.
//!
//! One trap: jemalloc zeroes a recycled block of 16 KiB or more by handing its pages back
//! to the system, which then fault again when touched; code that asks such blocks zeroed
//! on a hot path writes them instead (`moisson_search`'s `filled`).

/// The allocator's figures, in bytes (jemalloc's `stats.*`, as of the call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocatorFigures {
    /// Bytes allocated by the program (Rust and C++), in use.
    pub allocated: u64,
    /// Bytes in pages holding allocations: `allocated` plus the free room between them.
    pub active: u64,
    /// Bytes of the allocator's pages resident in memory (active, metadata, freed pages
    /// not yet given back).
    pub resident: u64,
    /// Bytes the allocator has mapped from the system.
    pub mapped: u64,
}

/// The allocator's figures now; `None` where the binary is built without jemalloc (other
/// systems than Linux) or where it cannot give them.
pub fn allocator_figures() -> Option<AllocatorFigures> {
    #[cfg(target_os = "linux")]
    {
        use tikv_jemalloc_ctl::{epoch, stats};
        // The figures are cached by jemalloc and refreshed at each epoch.
        epoch::advance().ok()?;
        Some(AllocatorFigures {
            allocated: stats::allocated::read().ok()? as u64,
            active: stats::active::read().ok()? as u64,
            resident: stats::resident::read().ok()? as u64,
            mapped: stats::mapped::read().ok()? as u64,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// jemalloc's full statistics as of the call, as JSON (every size class with its slabs
/// and regions in use, extents dirty and muzzy, metadata, mutexes): what tells data that
/// grows from room lost between blocks. `None` where the binary is built without jemalloc.
pub fn allocator_statistics() -> Option<Vec<u8>> {
    #[cfg(target_os = "linux")]
    {
        use tikv_jemalloc_ctl::stats_print::{stats_print, Options};
        let mut json = Vec::with_capacity(256 * 1024);
        let mut options = Options::default();
        options.json_format = true;
        stats_print(&mut json, options).ok()?;
        Some(json)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Statistics files kept in the folder [`write_allocator_statistics`] writes to.
pub const STATISTICS_KEPT: usize = 20;

/// Writes [`allocator_statistics`] to `dir/allocator-<unix milliseconds>.json` (written
/// to a temporary name, then renamed), removes that folder's older statistics past
/// [`STATISTICS_KEPT`], and returns the file's path. `moisson serve` calls it on each
/// `SIGUSR1`.
pub fn write_allocator_statistics(dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    let json = allocator_statistics().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this build's allocator gives no statistics",
        )
    })?;
    std::fs::create_dir_all(dir)?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let path = dir.join(format!("allocator-{millis:013}.json"));
    let partial = dir.join(format!(".allocator-{millis:013}.json.partial"));
    std::fs::write(&partial, &json)?;
    std::fs::rename(&partial, &path)?;
    let mut kept: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("allocator-") && n.ends_with(".json"))
        })
        .collect();
    // Zero-padded numbers: the names sort by time.
    kept.sort();
    let excess = kept.len().saturating_sub(STATISTICS_KEPT);
    for old in &kept[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(path)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_program_allocates_through_jemalloc_and_its_figures_are_consistent() {
        let figures = allocator_figures().expect("jemalloc's figures");
        assert!(figures.allocated > 0, "{figures:?}");
        assert!(figures.active >= figures.allocated, "{figures:?}");
        assert!(figures.mapped >= figures.active, "{figures:?}");
        // Rust's allocations go through jemalloc: this thread's own counters move by the
        // 64 MiB it holds, then frees (other tests allocate meanwhile on their threads).
        let allocated = tikv_jemalloc_ctl::thread::allocatedp::mib()
            .and_then(|mib| mib.read())
            .expect("thread.allocatedp");
        let deallocated = tikv_jemalloc_ctl::thread::deallocatedp::mib()
            .and_then(|mib| mib.read())
            .expect("thread.deallocatedp");
        let (allocated_before, deallocated_before) = (allocated.get(), deallocated.get());
        let block = std::hint::black_box(vec![1u8; 64 << 20]);
        assert!(allocated.get() >= allocated_before + (64 << 20));
        drop(block);
        assert!(deallocated.get() >= deallocated_before + (64 << 20));
    }

    #[test]
    fn statistics_are_written_as_json_and_the_oldest_files_removed() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut written = Vec::new();
        for _ in 0..STATISTICS_KEPT + 2 {
            written.push(write_allocator_statistics(dir.path()).expect("statistics written"));
            // Distinct names: one file a millisecond.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(written.last().unwrap()).unwrap())
                .expect("jemalloc's statistics are JSON");
        let merged = &json["jemalloc"]["stats.arenas"]["merged"];
        assert!(
            merged["bins"].as_array().is_some_and(|b| !b.is_empty()),
            "{merged}"
        );
        assert!(json["jemalloc"]["stats"]["allocated"]
            .as_u64()
            .is_some_and(|a| a > 0));
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(left.len(), STATISTICS_KEPT, "{left:?}");
        assert!(!written[0].is_file() && !written[1].is_file());
        assert!(written[2..].iter().all(|p| p.is_file()));
    }

    #[test]
    fn jemalloc_runs_with_the_settings_built_in() {
        // `.cargo/config.toml` and the `background_threads` feature (unless the one who
        // runs the tests overrides them with `MALLOC_CONF`).
        if std::env::var_os("MALLOC_CONF").is_some() {
            eprintln!("skipped: MALLOC_CONF is set");
            return;
        }
        assert_eq!(tikv_jemalloc_ctl::opt::narenas::read().ok(), Some(1));
        assert_eq!(tikv_jemalloc_ctl::opt::tcache_max::read().ok(), Some(4096));
        assert_eq!(
            tikv_jemalloc_ctl::opt::background_thread::read().ok(),
            Some(true)
        );
    }
}
