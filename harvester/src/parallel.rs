//! Work split over the machine's cores: a page's parse, record hashing and record writing
//! each cut their work into contiguous shares, one per thread, results kept in order.

/// Most threads one step of one page uses.
const MAX_THREADS: usize = 4;

/// Returns how many threads `work` units deserve when each thread should get at least
/// `min_share` of them: from 1 up to the cores (at most [`MAX_THREADS`]).
pub(crate) fn threads_for(work: usize, min_share: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores
        .clamp(1, MAX_THREADS)
        .min(work / min_share.max(1))
        .max(1)
}

/// Runs `f(0)`, …, `f(parts - 1)`, each on a thread of its own started here (named
/// `moisson-part-k`; a part whose thread cannot be started runs on this one), and returns
/// their results in order; a part that panicked gives `None`.
///
/// Why every part gets a new thread, the first one too: under glibc's malloc (the
/// allocator until 6 December 2026, see `web/src/memory.rs`), a thread got its arena at
/// its first allocation, in turn among the two arenas, and kept it. Threads started one
/// after the other got different arenas; the calling thread's arena was given long ago, and
/// when it was the one the second part's new thread got, the two parts took the same arena
/// lock for every `realloc` of the Turtle parser's term strings: a page's parse took
/// 3.2-4.5 s instead of 2.2 s, in 9 of 23 first harvests of `moisson bench` (up to 145,000
/// voluntary context switches instead of 30,000); none in 27 after. jemalloc serves small
/// allocations from a cache of each thread's own and gives a new thread the arena with the
/// fewest threads; parts on new threads are kept: starting a thread costs tens of
/// microseconds, and only large pages are split.
pub(crate) fn run_parts<R: Send>(parts: usize, f: impl Fn(usize) -> R + Sync) -> Vec<Option<R>> {
    if parts <= 1 {
        return vec![Some(f(0))];
    }
    let f = &f;
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..parts)
            .map(|k| {
                std::thread::Builder::new()
                    .name(format!("moisson-part-{k}"))
                    .spawn_scoped(scope, move || f(k))
            })
            .collect();
        threads
            .into_iter()
            .enumerate()
            .map(|(k, thread)| match thread {
                Ok(thread) => thread.join().ok(),
                // No thread could be started (the system's limit): this part runs here.
                Err(_) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(k))).ok(),
            })
            .collect()
    })
}

/// The `k`-th of `parts` contiguous shares of `0..len`.
pub(crate) fn share(len: usize, parts: usize, k: usize) -> std::ops::Range<usize> {
    k * len / parts..(k + 1) * len / parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_range_once_in_order() {
        for len in [0, 1, 7, 100] {
            for parts in 1..5 {
                let covered: Vec<usize> = (0..parts).flat_map(|k| share(len, parts, k)).collect();
                assert_eq!(covered, (0..len).collect::<Vec<_>>());
            }
        }
        let results = run_parts(3, |k| k * 10);
        assert_eq!(results, vec![Some(0), Some(10), Some(20)]);
        assert!(threads_for(10, 100) == 1 && threads_for(1_000_000, 1) <= MAX_THREADS);
    }

    #[test]
    fn every_part_of_a_split_step_runs_on_a_new_thread_of_its_own() {
        // The calling thread's malloc arena was given long ago: a part run there could
        // share it with a new thread's (see `run_parts`, under glibc's malloc).
        let caller = std::thread::current().id();
        let ids: Vec<_> = run_parts(3, |_| std::thread::current().id())
            .into_iter()
            .map(|id| id.expect("no part panics"))
            .collect();
        assert!(ids.iter().all(|id| *id != caller));
        assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
        // One part: no thread is worth starting.
        assert_eq!(
            run_parts(1, |_| std::thread::current().id()),
            vec![Some(caller)]
        );
    }
}
