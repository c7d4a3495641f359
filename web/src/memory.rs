//! The allocator setting of every `moisson` process (the memory budget as a whole is in
//! ARCHITECTURE.md, « Memory budget »).
//!
//! glibc's malloc gives threads that allocate at the same time arenas of their own, up to
//! eight per core, and keeps what is freed inside each arena for later: a server whose
//! harvests, quality runs and index updates run on changing blocking threads ends up with
//! every arena as large as its own peak. `scripts/soak.sh` (50 sources × 500 datasets on
//! one-minute schedules, 600 s) climbed without end with glibc's default: 405 MiB at
//! minute 1, 943 at minute 9 (1,419 in an earlier run); with two arenas it stays between
//! 380 and 420 MiB from minute 3. glibc reads the limit once, when the process starts, so
//! the program starts itself again with it set.

//!
//! glibc also moves its threshold for serving an allocation from `mmap` up to the size of
//! any mmapped block freed (up to 32 MiB): after a quality run freed a few multi-megabyte
//! buffers (a report, its compressed form, zstd's context), later ones of that size come
//! from the arenas and their pages stay. A fixed threshold (1 MiB) keeps it where it is:
//! the 300 s soak ran at 345–370 MiB with it, 374–497 MiB without (356–367 before the
//! quality texts were compressed).

/// The environment variable glibc reads for the number of malloc arenas.
pub const ARENAS_VARIABLE: &str = "MALLOC_ARENA_MAX";
/// The environment variable glibc reads for a fixed mmap threshold, in bytes.
pub const MMAP_THRESHOLD_VARIABLE: &str = "MALLOC_MMAP_THRESHOLD_";
/// The threshold unless the operator sets [`MMAP_THRESHOLD_VARIABLE`].
pub const MMAP_THRESHOLD: &str = "1048576";
/// Arenas unless the operator sets [`ARENAS_VARIABLE`] (the machine's core count is
/// better spent on threads than on arenas that each keep their own free memory).
pub const ARENAS: &str = "2";

/// Starts the program again with [`ARENAS_VARIABLE`] set to [`ARENAS`] and
/// [`MMAP_THRESHOLD_VARIABLE`] to [`MMAP_THRESHOLD`], same arguments, same process id,
/// unless both variables are set already (by the operator, or by the first
/// start). Returns if it is set, on systems other than Linux with glibc, or if starting
/// again failed (the program then goes on with glibc's default, and says so).
pub fn bound_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let missing: Vec<(&str, &str)> = [
            (ARENAS_VARIABLE, ARENAS),
            (MMAP_THRESHOLD_VARIABLE, MMAP_THRESHOLD),
        ]
        .into_iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
        if missing.is_empty() {
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
        let error = command.args(args).envs(missing.iter().copied()).exec();
        eprintln!(
            "warning: could not start again with {ARENAS_VARIABLE}={ARENAS} and \
             {MMAP_THRESHOLD_VARIABLE}={MMAP_THRESHOLD} ({error}); memory may grow more over time"
        );
    }
}
