//! A standalone limiter over one set of windows, for requests a host sends itself
//! (VSA X Notify, webhooks): the same strict sliding windows the client uses.

use super::limits::{documented_windows, EndpointClass};
use super::window::{earliest_allowed, RateWindow, Timeline};
use crate::Vendor;

/// Strict sliding windows over the sends recorded in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limiter {
    windows: Vec<RateWindow>,
    sends: Timeline,
    clock: u64,
}

impl Limiter {
    /// A limiter enforcing every one of `windows` at once.
    pub fn new(windows: Vec<RateWindow>) -> Limiter {
        Limiter {
            windows,
            sends: Timeline::default(),
            clock: 0,
        }
    }

    /// The documented windows of `class` for `vendor` (e.g. VSA X Notify's five).
    pub fn documented(vendor: Vendor, class: EndpointClass) -> Limiter {
        Limiter::new(documented_windows(vendor, class, 0.5))
    }

    /// The earliest instant at or after `now_ms` when one more send is allowed; None
    /// when a window's limit is zero.
    pub fn next_send_at(&self, now_ms: u64) -> Option<u64> {
        earliest_allowed(&self.windows, &[&self.sends], 0, now_ms.max(self.clock))
    }

    /// Records a send at `now_ms` (a clock that went backwards is clamped).
    pub fn record(&mut self, now_ms: u64) {
        self.clock = self.clock.max(now_ms);
        self.sends.record(self.clock);
        let horizon = self.windows.iter().map(|w| w.per_ms).max().unwrap_or(0);
        self.sends.prune(self.clock, horizon);
    }

    /// The answer to a send recorded at `sent_ms` arrived at `answered_ms`: the send now
    /// counts from the answer, because the server counted it on arrival, somewhere in
    /// between. Without this, a slow network could land the next send inside the
    /// server's window.
    pub fn answered(&mut self, sent_ms: u64, answered_ms: u64) {
        self.clock = self.clock.max(answered_ms);
        self.sends.retime(sent_ms, self.clock);
    }

    /// Sends if allowed now: records and returns true, or returns false.
    pub fn try_send(&mut self, now_ms: u64) -> bool {
        match self.next_send_at(now_ms) {
            Some(at) if at <= now_ms.max(self.clock) => {
                self.record(now_ms);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_bursts_ten_then_waits_for_the_five_second_window() {
        let mut l = Limiter::documented(Vendor::Vsax, EndpointClass::Notify);
        for _ in 0..10 {
            assert!(l.try_send(1_000));
        }
        assert!(!l.try_send(1_000));
        assert_eq!(l.next_send_at(1_000), Some(6_001));
        l.answered(1_000, 1_300);
        assert_eq!(
            l.next_send_at(1_000),
            Some(6_001),
            "nine still count from 1,000"
        );
        let mut one = Limiter::new(vec![RateWindow::new(1, 1000)]);
        assert!(one.try_send(0));
        one.answered(0, 250);
        assert_eq!(one.next_send_at(0), Some(1_251));
        assert!(Limiter::new(vec![RateWindow::new(0, 1000)])
            .next_send_at(0)
            .is_none());
    }
}
