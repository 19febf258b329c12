//! The pacing seam: decides when the next request may go out and whether a failed one is
//! retried. This version keeps one request in flight and never retries; the pacing work
//! (vendor rate windows, failed-request guard, backoff with Retry-After) replaces the
//! body of this type without touching the client.

use crate::Error;

/// Whether a request may be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Send now.
    Open,
    /// Wait for an in-flight response first (poll returns nothing until then).
    Busy,
    /// Nothing may be sent before this instant (Unix ms).
    #[allow(dead_code)] // produced once rate windows arrive
    Until(u64),
}

/// Pacing state for one client.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    in_flight: u32,
    max_in_flight: u32,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            in_flight: 0,
            max_in_flight: 1,
        }
    }
}

impl Pacer {
    /// May a request go out at `now_ms`?
    pub fn gate(&self, _now_ms: u64) -> Gate {
        if self.in_flight >= self.max_in_flight {
            Gate::Busy
        } else {
            Gate::Open
        }
    }

    /// A request was handed to the host.
    pub fn on_send(&mut self, _now_ms: u64) {
        self.in_flight += 1;
    }

    /// A request finished (response or transport error).
    pub fn on_complete(&mut self, _now_ms: u64) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// After `error` on attempt `attempt` (1-based) of a request that is safe to repeat:
    /// the instant to retry at, or None to give up and fail the job.
    pub fn retry_at(&mut self, _error: &Error, _attempt: u32, _now_ms: u64) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_in_flight_at_a_time() {
        let mut p = Pacer::default();
        assert_eq!(p.gate(0), Gate::Open);
        p.on_send(0);
        assert_eq!(p.gate(0), Gate::Busy);
        p.on_complete(5);
        assert_eq!(p.gate(5), Gate::Open);
        p.on_complete(6); // a stray completion must not open a second slot
        p.on_send(7);
        assert_eq!(p.gate(7), Gate::Busy);
    }
}
