//! A strict sliding window: never more than `limit` events within any interval of
//! `length_ms`. Not fixed buckets: a burst at the end of one bucket and the start of the
//! next would double the rate the vendor counts.

use std::collections::VecDeque;

/// One window of a limit, such as 3,600 per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Most events allowed within any interval of `per_ms`.
    pub limit: u32,
    /// The interval length in milliseconds.
    pub per_ms: u64,
}

impl RateWindow {
    /// `limit` per `per_ms` milliseconds.
    pub const fn new(limit: u32, per_ms: u64) -> Self {
        RateWindow { limit, per_ms }
    }
}

/// Event times within the last window length, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Timeline {
    times: VecDeque<u64>,
}

impl Timeline {
    /// Records an event at `at`. Callers pass non-decreasing times (see `Clock`); an
    /// earlier one is placed in order anyway so the window stays correct.
    pub fn record(&mut self, at: u64) {
        if self.times.back().is_none_or(|&last| last <= at) {
            self.times.push_back(at);
        } else {
            let pos = self.times.partition_point(|&t| t <= at);
            self.times.insert(pos, at);
        }
    }

    /// Moves one event from `from` to `to`: a request is recorded when it is sent and
    /// re-timed when its answer arrives, because the server counted it somewhere in
    /// between (on arrival). Counting from the answer keeps the next request's arrival a
    /// full window after this one's, whatever the network did. An event no longer held
    /// (pruned) is recorded at `to` anyway: counting too much is safe, too little is not.
    pub fn retime(&mut self, from: u64, to: u64) {
        let pos = self.times.partition_point(|&t| t < from);
        if self.times.get(pos) == Some(&from) {
            self.times.remove(pos);
        }
        self.record(to);
    }

    /// Forgets events older than `horizon_ms` before `now`: no window can see them.
    pub fn prune(&mut self, now: u64, horizon_ms: u64) {
        let cutoff = now.saturating_sub(horizon_ms);
        while self.times.front().is_some_and(|&t| t < cutoff) {
            self.times.pop_front();
        }
    }

    /// Events at or after `since`.
    pub fn count_since(&self, since: u64) -> usize {
        self.times.len() - self.times.partition_point(|&t| t < since)
    }

    /// All recorded times, oldest first.
    pub fn times(&self) -> impl DoubleEndedIterator<Item = u64> + ExactSizeIterator + '_ {
        self.times.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }
}

/// Host times are whole milliseconds, cut down from the real instant: an event recorded
/// at `t` happened anywhere in `[t, t + 1)`. Waiting one quantum past `t + window` keeps
/// the next event a full window after it in real time, as the server measures.
const CLOCK_QUANTUM_MS: u64 = 1;

/// The earliest instant `t >= now` at which `extra + 1` more events may happen without any
/// window of `windows` seeing more than its limit, given the events in `timelines` (which
/// are merged: own sends and other processes' sends). `extra` counts events that may yet
/// land (requests in flight that could fail, for the failed-request guard). None when a
/// window's limit is below `extra + 1`: no instant will ever allow it.
pub(crate) fn earliest_allowed(
    windows: &[RateWindow],
    timelines: &[&Timeline],
    extra: u32,
    now: u64,
) -> Option<u64> {
    let mut at = now;
    for window in windows {
        let needed = extra as usize + 1;
        let limit = window.limit as usize;
        if limit < needed {
            return None;
        }
        // The (limit - needed + 1)-th most recent event must be a full window old before
        // `needed` more fit: then at most limit - needed events remain inside.
        let keep = limit - needed;
        if let Some(t) = nth_most_recent(timelines, keep) {
            at = at.max(
                t.saturating_add(window.per_ms)
                    .saturating_add(CLOCK_QUANTUM_MS),
            );
        }
    }
    Some(at)
}

/// The `n`th most recent time (0 = the latest) across several timelines.
fn nth_most_recent(timelines: &[&Timeline], n: usize) -> Option<u64> {
    let total: usize = timelines.iter().map(|t| t.len()).sum();
    if n >= total {
        return None;
    }
    if let [only] = timelines {
        return only.times.get(only.len() - 1 - n).copied();
    }
    let mut merged: Vec<u64> = timelines.iter().flat_map(|t| t.times()).collect();
    merged.sort_unstable();
    merged.get(merged.len() - 1 - n).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(times: &[u64]) -> Timeline {
        let mut t = Timeline::default();
        for &x in times {
            t.record(x);
        }
        t
    }

    #[test]
    fn allows_until_full_then_waits_for_the_oldest_to_leave() {
        let w = [RateWindow::new(3, 1000)];
        assert_eq!(earliest_allowed(&w, &[&timeline(&[])], 0, 5), Some(5));
        assert_eq!(
            earliest_allowed(&w, &[&timeline(&[0, 10])], 0, 20),
            Some(20)
        );
        assert_eq!(
            earliest_allowed(&w, &[&timeline(&[0, 10, 20])], 0, 30),
            Some(1001)
        );
        assert_eq!(
            earliest_allowed(&w, &[&timeline(&[0, 10, 20])], 1, 30),
            Some(1011)
        );
        assert_eq!(earliest_allowed(&w, &[&timeline(&[])], 3, 30), None);
    }

    #[test]
    fn every_window_at_once() {
        let w = [RateWindow::new(2, 100), RateWindow::new(3, 10_000)];
        let t = timeline(&[0, 50, 200]);
        assert_eq!(earliest_allowed(&w, &[&t], 0, 210), Some(10_001));
    }

    #[test]
    fn timelines_merge() {
        let w = [RateWindow::new(3, 1000)];
        let (a, b) = (timeline(&[0, 20]), timeline(&[10]));
        assert_eq!(earliest_allowed(&w, &[&a, &b], 0, 30), Some(1001));
    }

    #[test]
    fn out_of_order_records_and_pruning() {
        let mut t = timeline(&[10, 30]);
        t.record(20);
        assert_eq!(t.times().collect::<Vec<_>>(), vec![10, 20, 30]);
        t.retime(20, 25);
        assert_eq!(t.times().collect::<Vec<_>>(), vec![10, 25, 30]);
        t.retime(99, 26);
        assert_eq!(
            t.len(),
            4,
            "an event already pruned is counted again, never lost"
        );
        t.retime(26, 20);
        t.prune(1025, 1000);
        assert_eq!(t.times().collect::<Vec<_>>(), vec![25, 30]);
        assert_eq!(t.count_since(26), 1);
    }
}
