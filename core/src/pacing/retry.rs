//! Retries: which failures are worth repeating, how long to wait (exponential backoff
//! with full jitter, seeded by the host), and what the server's Retry-After says.

use crate::timestamp::parse_http_date_ms;
use crate::{Error, ErrorCode};

/// Bounds on retrying one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// First backoff ceiling; doubles each attempt.
    pub base_ms: u64,
    /// Largest backoff ceiling.
    pub cap_ms: u64,
    /// No retry is scheduled later than this after the first attempt.
    pub max_total_ms: u64,
    /// Smallest wait after a 429 without Retry-After: throttling needs a real pause.
    pub rate_limited_floor_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_ms: 1_000,
            cap_ms: 60_000,
            max_total_ms: 10 * 60_000,
            rate_limited_floor_ms: 5_000,
        }
    }
}

/// The host's seed stretched into a stream (SplitMix64): reproducible jitter, no OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Jitter {
    state: u64,
}

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Jitter { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max`.
    pub fn up_to(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(span) => self.next_u64() % span,
            None => self.next_u64(),
        }
    }
}

/// Retry-After as a delay in ms: delta-seconds, or an HTTP-date measured against the
/// response's `Date` (the server's clock) when present, else against `now_ms`.
pub(crate) fn retry_after_ms(value: &str, date_header: Option<&str>, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = parse_http_date_ms(value)?;
    let reference = date_header
        .and_then(parse_http_date_ms)
        .unwrap_or_else(|| i64::try_from(now_ms).unwrap_or(i64::MAX));
    Some(u64::try_from(at.saturating_sub(reference)).unwrap_or(0))
}

/// True for failures that the same request may overcome: transport errors, 429, 502,
/// 503, 504 and server-side 500s (the error's own retryable flag says which).
pub(crate) fn is_transient(error: &Error) -> bool {
    error.is_retryable()
        && matches!(
            error.code(),
            ErrorCode::Transport
                | ErrorCode::RateLimited
                | ErrorCode::ServerError
                | ErrorCode::BadResponse
        )
}

/// The delay before attempt `attempt + 1` after `attempt` attempts failed with `error`:
/// full jitter over an exponential ceiling, and never shorter than the server's
/// Retry-After (whichever is longer wins). None when the policy allows no more attempts.
pub(crate) fn backoff_ms(
    policy: &RetryPolicy,
    jitter: &mut Jitter,
    error: &Error,
    attempt: u32,
    retry_after: Option<u64>,
) -> Option<u64> {
    if attempt >= policy.max_attempts {
        return None;
    }
    let exponent = attempt.saturating_sub(1).min(40);
    let ceiling = policy
        .base_ms
        .saturating_mul(1u64 << exponent)
        .min(policy.cap_ms);
    let mut delay = jitter.up_to(ceiling);
    if error.code() == ErrorCode::RateLimited && retry_after.is_none() {
        delay = delay.max(policy.rate_limited_floor_ms);
    }
    Some(delay.max(retry_after.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_every_form() {
        let now = 1_795_350_600_000; // Sun, 22 Nov 2026 12:30:00 GMT
        assert_eq!(retry_after_ms("120", None, now), Some(120_000));
        assert_eq!(retry_after_ms(" 0 ", None, now), Some(0));
        assert_eq!(
            retry_after_ms("Sun, 22 Nov 2026 12:31:00 GMT", None, now),
            Some(60_000)
        );
        // Against the server's Date, whatever the host clock says.
        assert_eq!(
            retry_after_ms(
                "Sun, 22 Nov 2026 12:31:00 GMT",
                Some("Sun, 22 Nov 2026 12:30:30 GMT"),
                0
            ),
            Some(30_000)
        );
        assert_eq!(
            retry_after_ms("Sunday, 22-Nov-26 12:31:00 GMT", None, now),
            Some(60_000)
        );
        assert_eq!(
            retry_after_ms("Sun Nov 22 12:31:00 2026", None, now),
            Some(60_000)
        );
        assert_eq!(
            retry_after_ms("Sun, 22 Nov 2026 12:00:00 GMT", None, now),
            Some(0),
            "a past date"
        );
        assert_eq!(retry_after_ms("soon", None, now), None);
        assert_eq!(retry_after_ms("-5", None, now), None);
    }

    #[test]
    fn backoff_is_jittered_capped_bounded_and_respects_retry_after() {
        let policy = RetryPolicy::default();
        let err = Error::new(ErrorCode::ServerError, "x", "y").retryable(true);
        let mut jitter = Jitter::new(7);
        for attempt in 1..policy.max_attempts {
            let ceiling = (policy.base_ms << (attempt - 1)).min(policy.cap_ms);
            for _ in 0..200 {
                let d = backoff_ms(&policy, &mut jitter, &err, attempt, None).unwrap();
                assert!(d <= ceiling, "attempt {attempt}: {d} > {ceiling}");
            }
        }
        assert_eq!(
            backoff_ms(&policy, &mut jitter, &err, policy.max_attempts, None),
            None
        );
        assert_eq!(
            backoff_ms(&policy, &mut jitter, &err, 1, Some(90_000)),
            Some(90_000)
        );
        let limited = Error::new(ErrorCode::RateLimited, "x", "y").retryable(true);
        assert!(backoff_ms(&policy, &mut jitter, &limited, 1, None).unwrap() >= 5_000);
        // Same seed, same delays.
        let (mut a, mut b) = (Jitter::new(42), Jitter::new(42));
        assert_eq!(
            (0..5).map(|_| a.up_to(1000)).collect::<Vec<_>>(),
            (0..5).map(|_| b.up_to(1000)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn transient_means_retryable_and_of_a_repeatable_kind() {
        let t = |code, r| is_transient(&Error::new(code, "", "").retryable(r));
        assert!(t(ErrorCode::Transport, true));
        assert!(t(ErrorCode::ServerError, true));
        assert!(!t(ErrorCode::ServerError, false));
        assert!(!t(ErrorCode::Unauthorized, true));
    }
}
