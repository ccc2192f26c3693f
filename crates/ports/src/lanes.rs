//! Lanes: which of a store's connection pools the current thread draws from.
//!
//! A PostgreSQL or Redis connection does its I/O in a task on the thread that opened it.
//! Shared by every thread, a connection opened on one thread would make each round trip
//! of a request served on another hop between the two (two wake-ups and context switches
//! more per round trip). So the stores keep one pool per lane, and each HTTP worker
//! thread draws from its own lane: its connections are opened, and do their I/O, on the
//! thread that uses them. Lane 0 is every other thread's (start-up, background jobs, the
//! command line).
//!
//! ```
//! use castellan_ports::lanes;
//!
//! assert_eq!(lanes::current(), 0);
//! std::thread::spawn(|| {
//!     lanes::enter(2);
//!     assert_eq!(lanes::current(), 2);
//!     // A store with 2 lanes (0 and 1) serves lane 2 from lane 0.
//!     assert_eq!(lanes::pick(2), 0);
//! })
//! .join()
//! .unwrap();
//! ```

use std::cell::Cell;

thread_local! {
    static LANE: Cell<usize> = const { Cell::new(0) };
}

/// Makes `lane` the current thread's lane (an HTTP worker's, at its start).
pub fn enter(lane: usize) {
    LANE.with(|current| current.set(lane));
}

/// The current thread's lane: 0 unless [`enter`] chose another.
pub fn current() -> usize {
    LANE.with(Cell::get)
}

/// How a store with `connections` in all serves `lanes` lanes: `(pools, per_pool)`, an
/// equal share each; with fewer connections than lanes (or no lane asked), one pool that
/// every thread shares.
///
/// ```
/// use castellan_ports::lanes::split;
///
/// assert_eq!(split(3, 16), (3, 5));
/// assert_eq!(split(3, 2), (1, 2));
/// assert_eq!(split(0, 4), (1, 4));
/// assert_eq!(split(1, 0), (1, 1));
/// ```
pub fn split(lanes: usize, connections: usize) -> (usize, usize) {
    let pools = match lanes {
        n if (1..=connections).contains(&n) => n,
        _ => 1,
    };
    (pools, (connections / pools).max(1))
}

/// Which of a store's `count` lanes the current thread draws from (its own when the store
/// has that many, else lane 0, which serves every thread).
pub fn pick(count: usize) -> usize {
    match current() {
        lane if lane < count => lane,
        _ => 0,
    }
}
