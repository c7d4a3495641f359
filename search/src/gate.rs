//! At most one more search computes at once than the machine has cores, let in by order
//! of arrival.
//!
//! A search is pure CPU work (the index is in memory-mapped files and the page cache). With
//! every request on its own thread, sixteen searches on two cores share them for their whole
//! length: a search that needs 30 ms of CPU answers after about 240 ms, and all of them pay
//! the switches between threads. Let in about one per core, first come first served, a
//! search waits for those ahead of it and then runs nearly alone on its core: a much
//! shorter tail for a little less throughput (figures at [`Gate::per_core`]).
//!
//! Invariants:
//! - At most `width` passes are held at once; passes are given in the order `enter` was
//!   called (a ticket each).
//! - A pass is given back when dropped, also when its search panics (unwinding drops it).
//! - Answers from the cache do not take a pass (they cost microseconds).

use std::sync::{Condvar, Mutex, MutexGuard};

/// The gate (see the module documentation).
pub(crate) struct Gate {
    width: u64,
    state: Mutex<Tickets>,
    turn: Condvar,
}

#[derive(Default)]
struct Tickets {
    /// Tickets given so far.
    given: u64,
    /// Passes given back so far.
    done: u64,
}

/// The right to compute one search, until dropped.
pub(crate) struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// A gate letting `width` searches (at least one) compute at once.
    pub(crate) fn new(width: usize) -> Self {
        Self {
            width: width.max(1) as u64,
            state: Mutex::new(Tickets::default()),
            turn: Condvar::new(),
        }
    }

    /// A gate one wider than the machine's cores: a search waking up or writing its answer
    /// out leaves its core idle for a moment, which one more search in flight fills
    /// (measured at 1,025,000 datasets, 16 clients on 2 cores, two runs each: as wide as
    /// the cores, p99 77-78 ms at 368 answers/s; one wider, p99 75-81 ms at 399-429/s;
    /// no gate, p99 109-120 ms at 426-460/s; with searches of words from bit sets, two
    /// wider gave more throughput and a longer tail: p99 58-61 ms at 607-665/s against
    /// 52-53 ms at 613-643/s).
    pub(crate) fn per_core() -> Self {
        Self::new(Self::default_width())
    }

    /// The width of [`Gate::per_core`]: the machine's cores, plus one.
    pub(crate) fn default_width() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get()) + 1
    }

    fn lock(&self) -> MutexGuard<'_, Tickets> {
        // The counters stay consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The searches computing and those waiting for a pass, now.
    pub(crate) fn load(&self) -> (u64, u64) {
        let tickets = self.lock();
        let inside = tickets.given - tickets.done;
        (inside.min(self.width), inside.saturating_sub(self.width))
    }

    /// Waits for this caller's turn (after every earlier caller got a pass).
    pub(crate) fn enter(&self) -> Pass<'_> {
        let mut tickets = self.lock();
        let ticket = tickets.given;
        tickets.given += 1;
        while ticket >= tickets.done + self.width {
            tickets = self.turn.wait(tickets).unwrap_or_else(|e| e.into_inner());
        }
        Pass { gate: self }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut tickets = self.gate.lock();
        tickets.done += 1;
        drop(tickets);
        self.gate.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// Runs six threads through `gate` while the test holds `held` passes, each entering
    /// after the previous one took its ticket; returns the most passes held at once by
    /// them and the order they got in.
    fn queue(gate: Arc<Gate>, held: usize) -> (usize, Vec<usize>) {
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let order = Arc::new(Mutex::new(Vec::new()));
        let passes: Vec<_> = (0..held).map(|_| gate.enter()).collect();
        let mut threads = Vec::new();
        for n in 0..6 {
            let (g, inside, most, order) =
                (gate.clone(), inside.clone(), most.clone(), order.clone());
            threads.push(std::thread::spawn(move || {
                let _pass = g.enter();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                order.lock().unwrap().push(n);
                std::thread::sleep(Duration::from_millis(5));
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
            while gate.lock().given < (held + n + 1) as u64 {
                std::thread::yield_now();
            }
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "nobody passes a full gate"
        );
        assert_eq!(gate.load(), (held as u64, 6));
        drop(passes);
        for t in threads {
            t.join().unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(gate.load(), (0, 0));
        (most.load(Ordering::SeqCst), order)
    }

    #[test]
    fn passes_are_given_in_the_order_of_arrival() {
        let (most, order) = queue(Arc::new(Gate::new(1)), 1);
        assert_eq!(most, 1);
        assert_eq!(order, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn at_most_width_passes_are_held_at_once() {
        let (most, order) = queue(Arc::new(Gate::new(2)), 2);
        assert!(most <= 2, "{most}");
        assert_eq!(order.len(), 6);
    }

    #[test]
    fn a_pass_is_given_back_when_its_holder_panics() {
        let gate = Arc::new(Gate::new(1));
        let held = gate.clone();
        let crashed = std::thread::spawn(move || {
            let _pass = held.enter();
            panic!("a search panics");
        })
        .join();
        assert!(crashed.is_err());
        drop(gate.enter());
    }
}
