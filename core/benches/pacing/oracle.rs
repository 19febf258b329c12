//! The ideal sender the clients are measured against.
//!
//! It sends each request at the earliest instant a sender is free (one request in flight
//! per sender, the same fixed latency) and every window allows it, with an endless supply
//! of requests. For sequential senders that greedy schedule is the most any sender can
//! complete by a given time, so
//!
//!   efficiency = requests the client completed / requests the ideal sender completes
//!                in the same elapsed virtual time.
//!
//! It reads 1.000 only when the client lost no time the limits would have let it use:
//! idling while the window had room, or finishing later than needed, both lower it.
//! Time spent waiting for a full window costs nothing, because the ideal sender waits too.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Requests the ideal sender completes (response received) within `elapsed_ms`, with
/// `senders` senders in parallel, each request taking `latency_ms`, under `windows`
/// (limit, length in ms), all empty at the start.
pub fn ideal_completions(
    windows: &[(u32, u64)],
    senders: usize,
    latency_ms: u64,
    elapsed_ms: u64,
) -> u64 {
    let mut free: BinaryHeap<Reverse<u64>> = (0..senders.max(1)).map(|_| Reverse(0)).collect();
    let mut sends: Vec<u64> = Vec::new();
    while let Some(Reverse(ready)) = free.pop() {
        let n = sends.len();
        // The limit-th most recent request must have left the window (sends are in order).
        let at = windows
            .iter()
            .filter(|(limit, _)| n >= *limit as usize)
            .map(|&(limit, per_ms)| {
                if limit == 0 {
                    u64::MAX
                } else {
                    // Counted from its answer: the server counted it somewhere
                    // between send and answer, and a sender that cannot see where
                    // must assume the latest (one clock quantum past the window).
                    sends[n - limit as usize]
                        .saturating_add(latency_ms)
                        .saturating_add(per_ms)
                        .saturating_add(1)
                }
            })
            .fold(ready, u64::max);
        if at.saturating_add(latency_ms) > elapsed_ms {
            break;
        }
        sends.push(at);
        free.push(Reverse(at + latency_ms));
    }
    sends.len() as u64
}

/// `done / ideal`, or 0 when even the ideal sender completes nothing.
pub fn efficiency(done: u64, ideal: u64) -> f64 {
    if ideal == 0 {
        0.0
    } else {
        done as f64 / ideal as f64
    }
}
