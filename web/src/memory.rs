//! The allocator settings of every `moisson` process (the memory budget as a whole is in
//! ARCHITECTURE.md, « Memory budget »).
//!
//! glibc's malloc gives threads that allocate at the same time arenas of their own, up to
//! eight per core, and keeps what is freed inside each arena for later: a server whose
//! harvests, quality runs and index updates run on changing blocking threads ends up with
//! every arena as large as its own peak. `scripts/soak.sh` (50 sources × 500 datasets on
//! one-minute schedules, 600 s) climbed without end with glibc's default: 405 MiB at
//! minute 1, 943 at minute 9 (1,419 in an earlier run); with two arenas it stayed between
//! 380 and 420 MiB from minute 3 in that day's runs (the build of 6 December, with more
//! caches: 440-550 MiB over 25 minutes, still creeping; README, « soak »).
//!
//! With two arenas the heap in use is flat (glibc's `malloc_stats`: 308-318 MB from minute
//! 2 to 7 of a soak) but the resident size still moves by steps of 10-40 MiB: freed memory
//! kept in each arena. glibc's dynamic thresholds raise the trim threshold to twice the
//! largest block freed from `mmap` (up to 64 MiB); a fixed 4 MiB gives the top of each
//! arena back sooner (soak at minute 9: 471-502 MiB in three runs, 502-542 without).
//! Fixing the trim threshold also fixes the mmap threshold, so it is set to the dynamic
//! regime's ceiling (32 MiB): the buffers of a few MB searches allocate stay in the heap
//! (a 1 MiB threshold cost search at 1,000,000 datasets 10-15 % of its throughput).
//!
//! glibc reads these once, when the process starts, so the program starts itself again
//! with them set.

/// The variables glibc reads and the values Moisson gives those the operator left unset:
/// arenas (the machine's cores are better spent on threads than on arenas that each keep
/// their own free memory), trim threshold and mmap threshold, in bytes.
pub const ALLOCATOR_VARIABLES: [(&str, &str); 3] = [
    ("MALLOC_ARENA_MAX", "2"),
    ("MALLOC_TRIM_THRESHOLD_", "4194304"),
    ("MALLOC_MMAP_THRESHOLD_", "33554432"),
];

/// Starts the program again with every unset variable of [`ALLOCATOR_VARIABLES`] set to
/// its value, same arguments, same process id (the second start finds them all set).
/// Returns if they are all set (by the operator, or by the first start), on systems other
/// than Linux with glibc, or if starting again failed (the program then goes on with
/// glibc's defaults, and says so).
pub fn set_allocator_variables() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let unset: Vec<(&str, &str)> = ALLOCATOR_VARIABLES
            .into_iter()
            .filter(|(name, _)| std::env::var_os(name).is_none())
            .collect();
        if unset.is_empty() {
            return;
        }
        let Ok(program) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(program);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        let error = command.args(args).envs(unset.iter().copied()).exec();
        let names: Vec<String> = unset.iter().map(|(n, v)| format!("{n}={v}")).collect();
        eprintln!(
            "warning: could not start again with {} ({error}); memory may grow more over time",
            names.join(" ")
        );
    }
}
