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

/// Runs `f(0)`, …, `f(parts - 1)`, the first on this thread and the others on threads of
/// their own, and returns their results in order; a part that panicked gives `None`.
pub(crate) fn run_parts<R: Send>(parts: usize, f: impl Fn(usize) -> R + Sync) -> Vec<Option<R>> {
    if parts <= 1 {
        return vec![Some(f(0))];
    }
    let f = &f;
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..parts).map(|k| scope.spawn(move || f(k))).collect();
        let mut all = vec![Some(f(0))];
        all.extend(others.into_iter().map(|h| h.join().ok()));
        all
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
}
