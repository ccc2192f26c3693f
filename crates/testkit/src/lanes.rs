//! The lanes contract ([`castellan_ports::lanes`]) of a store with pools per lane: a
//! thread in one lane never draws a connection another lane opened.

use std::future::Future;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Runs `call` from a thread in lane 1 and then from a thread in lane 2, each thread on a
/// runtime of its own; both stay alive (their connections usable) until `open` has been
/// read, which returns the store's open connections (idle or held). A store with one pool
/// would hand lane 2 the connection lane 1 opened (1 open); with a pool per lane each
/// opened its own (2).
pub fn each_lane_opens_its_own<C, F>(call: C, open: impl FnOnce() -> usize)
where
    C: Fn() -> F + Send + Sync + 'static,
    F: Future<Output = ()>,
{
    let call = Arc::new(call);
    let release = Arc::new(Barrier::new(3));
    let (called, answered) = mpsc::channel();
    let threads: Vec<_> = [1, 2]
        .into_iter()
        .map(|lane| {
            let (call, release, called) = (call.clone(), release.clone(), called.clone());
            let thread = std::thread::spawn(move || {
                castellan_ports::lanes::enter(lane);
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                // A connection shared across lanes would wait for the other thread, which
                // no longer polls its I/O: bounded, the test then fails on its count.
                let bounded = async { tokio::time::timeout(Duration::from_secs(5), call()).await };
                let _ = runtime.block_on(bounded);
                called.send(lane).unwrap();
                release.wait();
            });
            // One after the other: lane 2 calls once lane 1's connection is back and idle.
            // Bounded: a thread that panicked never answers.
            assert_eq!(answered.recv_timeout(Duration::from_secs(30)), Ok(lane));
            thread
        })
        .collect();
    let opened = open();
    release.wait();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(opened, 2, "each lane opens its own connection");
}
