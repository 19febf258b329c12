//! A strict sliding window: at most `limit` accepted events in any `span`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct SlidingWindow {
    pub limit: u32,
    pub span: Duration,
    /// When each event still inside the window happened, oldest first.
    events: VecDeque<Instant>,
    /// Highest count ever seen inside the window, including the event that made it.
    pub peak: u32,
}

impl SlidingWindow {
    pub fn new(limit: u32, span: Duration) -> Self {
        SlidingWindow {
            limit,
            span,
            events: VecDeque::new(),
            peak: 0,
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&oldest) = self.events.front() {
            if now.saturating_duration_since(oldest) >= self.span {
                self.events.pop_front();
            } else {
                break;
            }
        }
    }

    /// Events inside the window at `now`.
    pub fn count(&mut self, now: Instant) -> u32 {
        self.expire(now);
        self.events.len() as u32
    }

    /// How long until one more event fits; zero when it fits now.
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.expire(now);
        if (self.events.len() as u32) < self.limit {
            return Duration::ZERO;
        }
        let index = self.events.len() - self.limit as usize;
        let frees_at = self.events[index] + self.span;
        frees_at.saturating_duration_since(now)
    }

    /// Records an event without checking the limit (callers check `wait` first, or count
    /// events that happen regardless, such as failed requests).
    pub fn record(&mut self, now: Instant) -> u32 {
        self.expire(now);
        self.events.push_back(now);
        let count = self.events.len() as u32;
        self.peak = self.peak.max(count);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_then_names_the_wait() {
        let start = Instant::now();
        let mut w = SlidingWindow::new(2, Duration::from_secs(10));
        assert_eq!(w.wait(start), Duration::ZERO);
        w.record(start);
        w.record(start + Duration::from_secs(4));
        assert_eq!(
            w.wait(start + Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(w.wait(start + Duration::from_secs(10)), Duration::ZERO);
        assert_eq!(w.count(start + Duration::from_secs(10)), 1);
        assert_eq!(w.peak, 2);
    }
}
