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

/// The environment variable glibc reads for the number of malloc arenas.
pub const ARENAS_VARIABLE: &str = "MALLOC_ARENA_MAX";
/// Arenas unless the operator sets [`ARENAS_VARIABLE`] (the machine's core count is
/// better spent on threads than on arenas that each keep their own free memory).
pub const ARENAS: &str = "2";

/// Starts the program again with [`ARENAS_VARIABLE`] set to [`ARENAS`], same arguments,
/// same process id, unless the variable is set already (by the operator, or by the first
/// start). Returns if it is set, on systems other than Linux with glibc, or if starting
/// again failed (the program then goes on with glibc's default, and says so).
pub fn bound_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(ARENAS_VARIABLE).is_some() {
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
        let error = command.args(args).env(ARENAS_VARIABLE, ARENAS).exec();
        eprintln!(
            "warning: could not start again with {ARENAS_VARIABLE}={ARENAS} ({error}); \
             memory may grow more over time"
        );
    }
}
