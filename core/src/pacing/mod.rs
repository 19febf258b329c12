//! Pacing: when the next request may go out, and whether a failed one is retried.
//!
//! Every vendor limit is a set of strict sliding windows per endpoint class; VSA X also
//! blocks a client IP after too many failed requests, so failures have windows of their
//! own. Sends of other processes arrive through `import_state` and count like our own.
//! Time comes from the host; a clock that goes backwards is clamped so recorded times
//! never decrease.

mod check;
mod limiter;
mod limits;
mod retry;
mod shared;
mod window;

use std::collections::{BTreeMap, HashMap};

pub use limiter::Limiter;
pub use limits::{
    EndpointClass, FailureGuard, AUTOTASK_TENANT_HOURLY, AUTOTASK_THREADS_PER_ENTITY,
};
pub use retry::RetryPolicy;
pub use window::RateWindow;

pub(crate) use limits::{classify, concurrency_key};
pub(crate) use retry::{is_transient, retry_after_ms, Jitter};

use crate::{Error, ErrorCode, Vendor};
use shared::{Buckets, SharedState};
use window::{earliest_allowed, Timeline};

/// Pacing settings; every field has the documented default for the vendor.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingOptions {
    /// Requests in flight at once, over all jobs (Autotask also caps 3 per entity).
    pub max_in_flight: u32,
    /// Replaces the windows of a class (`Default` applies to every request).
    pub windows: BTreeMap<EndpointClass, Vec<RateWindow>>,
    /// Failed-request thresholds; None = the vendor's (VSA X: documented, others: off).
    pub failure_guard: Option<FailureGuard>,
    /// Autotask: the share of the tenant's 10,000 requests/hour this client may use.
    pub autotask_share: f64,
    /// Retry bounds.
    pub retry: RetryPolicy,
    /// Longest wait for the failed-request guard to clear (beyond it the job fails with
    /// `budget_exhausted`) and for a server-named Retry-After (beyond it the job fails
    /// with the server's error). Waits for rate windows are the job's pace and are not
    /// bounded by it: a long list at 3,600/h takes hours by design.
    pub max_wait_ms: u64,
    /// Names this process in shared state; default derived from the jitter seed.
    /// Processes that share state MUST have different names (or different seeds): a
    /// state coming back under this client's own name is taken for its own sends and not
    /// counted again. The Python and JS bindings seed from the OS's random source.
    pub instance: Option<String>,
}

impl Default for PacingOptions {
    fn default() -> Self {
        PacingOptions {
            max_in_flight: 1,
            windows: BTreeMap::new(),
            failure_guard: None,
            autotask_share: 0.5,
            retry: RetryPolicy::default(),
            max_wait_ms: 15 * 60_000,
            instance: None,
        }
    }
}

/// Where a request counts: its class and, for Autotask, its entity endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ticket {
    pub class: EndpointClass,
    pub key: Option<String>,
    /// When it was sent (set by `on_send`), so its answer can re-time it.
    pub sent_at: Option<u64>,
}

impl Ticket {
    /// The classes a request counts in: the vendor-wide one, and its own if different.
    fn classes(&self) -> impl Iterator<Item = EndpointClass> {
        let own = (self.class != EndpointClass::Default).then_some(self.class);
        std::iter::once(EndpointClass::Default).chain(own)
    }
}

/// Whether a request may be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Send now.
    Open,
    /// Wait for an in-flight response first.
    Busy,
    /// Nothing of this kind may be sent before this instant.
    Until(u64),
    /// Only after the failed-request guard lets failures age out, which is further away
    /// than max_wait (or never): the job should give up rather than wait.
    Exhausted(Option<u64>),
}

/// How a sent request ended, for the limiter and the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    /// The server answered with an error status (counts as a failed request).
    Failed {
        rate_limited: bool,
    },
    /// No response; the server may or may not have counted it.
    Transport,
}

/// Slows a class down after a 429: the server counts more than we do (another process,
/// another integration), so pause and then send at a reduced rate that recovers slowly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slowdown {
    factor: f64,
    paused_until: u64,
    last_send: Option<u64>,
}

impl Default for Slowdown {
    fn default() -> Self {
        Slowdown {
            factor: 1.0,
            paused_until: 0,
            last_send: None,
        }
    }
}

/// Autotask's limit as fitted to a tenant reading, until the reading is too old to trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FittedLimit {
    limit: u32,
    expires_at: u64,
}

/// How long a tenant reading shapes the limit, how often one may be taken at most, and
/// how many of our own sends must come between two (so a slow job is not all readings).
const TENANT_READING_TTL_MS: u64 = 10 * 60_000;
const TENANT_CHECK_INTERVAL_MS: u64 = 5 * 60_000;
const TENANT_CHECK_MIN_SENDS: u32 = 20;
const TENANT_CHECK_MAX_SENDS: u32 = 500;

/// Each 429 halves the rate (not below 1/16); each success wins back 1/50.
const SLOWDOWN_MIN_FACTOR: f64 = 1.0 / 16.0;
const SLOWDOWN_RECOVERY: f64 = 0.02;

/// What the tenant's Autotask counter said, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TenantUsage {
    pub threshold: u32,
    pub timeframe_ms: u64,
    pub current: u32,
}

/// Pacing state of one client.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    vendor: Vendor,
    windows: BTreeMap<EndpointClass, Vec<RateWindow>>,
    guard: Vec<RateWindow>,
    options: PacingOptions,
    clock: u64,
    sends: BTreeMap<EndpointClass, Timeline>,
    failures: Timeline,
    shared: SharedState,
    in_flight: u32,
    in_flight_by_key: HashMap<String, u32>,
    slowdown: BTreeMap<EndpointClass, Slowdown>,
    jitter: Jitter,
    /// Autotask: the vendor-wide limit fitted to what the tenant has left, for a while.
    fitted: Option<FittedLimit>,
    tenant_checked_at: Option<u64>,
    sends_since_tenant_check: u32,
    /// A fitted limit expired: read the tenant again before the next list request.
    tenant_recheck: bool,
    /// The host has given a time at least once (until then `clock` means nothing and
    /// imported counts cannot be judged old or future).
    observed: bool,
}

impl Pacer {
    pub fn new(vendor: Vendor, options: &PacingOptions, jitter_seed: u64) -> Pacer {
        let mut windows = BTreeMap::new();
        for class in EndpointClass::ALL {
            let list = options.windows.get(&class).cloned().unwrap_or_else(|| {
                limits::documented_windows(vendor, class, options.autotask_share)
            });
            if !list.is_empty() {
                windows.insert(class, list);
            }
        }
        let guard = options
            .failure_guard
            .clone()
            .unwrap_or_else(|| limits::default_failure_guard(vendor))
            .windows();
        let instance = options.instance.clone().unwrap_or_else(|| {
            format!("{:016x}", Jitter::new(jitter_seed ^ 0x6d73_706b).next_u64())
        });
        let horizon_ms = windows
            .values()
            .flatten()
            .chain(guard.iter())
            .map(|w| w.per_ms)
            .max()
            .unwrap_or(0);
        Pacer {
            vendor,
            windows,
            guard,
            options: options.clone(),
            clock: 0,
            sends: BTreeMap::new(),
            failures: Timeline::default(),
            shared: SharedState::new(instance, options.max_in_flight.clamp(1, 64), horizon_ms),
            in_flight: 0,
            in_flight_by_key: HashMap::new(),
            slowdown: BTreeMap::new(),
            jitter: Jitter::new(jitter_seed),
            fitted: None,
            tenant_checked_at: None,
            sends_since_tenant_check: 0,
            tenant_recheck: false,
            observed: false,
        }
    }

    /// The host's time, never earlier than a time already seen: windows are kept in
    /// recorded time, which must not run backwards.
    fn tick(&mut self, now_ms: u64) -> u64 {
        self.clock = self.clock.max(now_ms);
        self.observed = true;
        self.clock
    }

    /// The windows that apply to `class`: the vendor-wide ones, then the class's own.
    fn windows_for(&self, class: EndpointClass) -> Vec<(EndpointClass, Vec<RateWindow>)> {
        let mut out = Vec::new();
        if let Some(default) = self.windows.get(&EndpointClass::Default) {
            out.push((EndpointClass::Default, default.clone()));
        }
        if class != EndpointClass::Default {
            if let Some(own) = self.windows.get(&class) {
                out.push((class, own.clone()));
            }
        }
        out
    }

    /// Records the host's time without sending: every `now` the client is given feeds
    /// the clamp, so a clock stepping back after a poll cannot reopen a window.
    pub fn observe(&mut self, now_ms: u64) -> u64 {
        let now = self.tick(now_ms);
        self.shared.prune(now);
        now
    }

    /// May a request of `ticket` go out at `now_ms`?
    pub fn gate(&mut self, now_ms: u64, ticket: &Ticket) -> Gate {
        let now = self.tick(now_ms);
        if self.in_flight >= self.options.max_in_flight.max(1) {
            return Gate::Busy;
        }
        if let Some(key) = &ticket.key {
            if self.in_flight_by_key.get(key).copied().unwrap_or(0) >= AUTOTASK_THREADS_PER_ENTITY {
                return Gate::Busy;
            }
        }
        self.expire_fitted_limit(now);
        let mut at = now;
        for (class, windows) in self.windows_for(ticket.class) {
            let Some(t) = self.window_wait(class, &windows, now) else {
                return Gate::Exhausted(None);
            };
            at = at.max(t);
            if class == EndpointClass::Default {
                if let Some(fitted) = self.fitted {
                    // The tenant's reading ages: past its expiry the share applies again
                    // (and a new reading is taken), so never wait beyond it for it.
                    let tighter: Vec<RateWindow> = windows
                        .iter()
                        .map(|w| RateWindow::new(w.limit.min(fitted.limit), w.per_ms))
                        .collect();
                    let t = self
                        .window_wait(class, &tighter, now)
                        .unwrap_or(fitted.expires_at);
                    at = at.max(t.min(fitted.expires_at));
                }
            }
            let slow = self.slowdown.get(&class).copied().unwrap_or_default();
            at = at.max(slow.paused_until);
            if slow.factor < 1.0 {
                if let (Some(last), Some(slowest)) = (slow.last_send, slowest_spacing_ms(&windows))
                {
                    let spacing = (slowest as f64 / slow.factor) as u64;
                    at = at.max(last.saturating_add(spacing));
                }
            }
        }
        if !self.guard.is_empty() {
            // A failure must never cross a threshold: count every request in flight as a
            // failure that may still land, and stay one below each threshold.
            let guard: Vec<RateWindow> = self
                .guard
                .iter()
                .map(|w| RateWindow::new(w.limit.saturating_sub(1), w.per_ms))
                .collect();
            let others = self.shared.others_failures();
            let mut timelines: Vec<&Timeline> = vec![&self.failures];
            timelines.extend(others.iter());
            match earliest_allowed(&guard, &timelines, self.in_flight, now) {
                Some(t) if t <= now.saturating_add(self.options.max_wait_ms) => at = at.max(t),
                // Requests in flight may still succeed, which changes the answer: decide
                // once they are back.
                _ if self.in_flight > 0 => return Gate::Busy,
                // Rate windows are the job's pace and are always waited for; the guard
                // only clears as failures age, possibly for hours: give up instead.
                other => return Gate::Exhausted(other),
            }
        }
        if at <= now {
            Gate::Open
        } else {
            Gate::Until(at)
        }
    }

    /// When `windows` of `class` allow one more send, over our sends and the other
    /// processes'. Leaves room for the sends the others may have made since they last
    /// exported, but never so much that a window could not fit one more send. None only
    /// for a window of limit 0.
    fn window_wait(&self, class: EndpointClass, windows: &[RateWindow], now: u64) -> Option<u64> {
        let empty = Timeline::default();
        let own = self.sends.get(&class).unwrap_or(&empty);
        let others = self.shared.others_sends(class);
        let mut timelines: Vec<&Timeline> = vec![own];
        timelines.extend(others.iter());
        let smallest = windows.iter().map(|w| w.limit).min().unwrap_or(u32::MAX);
        let unseen = if others.is_empty() {
            0
        } else {
            self.shared.others_unseen()
        };
        let reserve = unseen.min(smallest.saturating_sub(1));
        earliest_allowed(windows, &timelines, reserve, now)
    }

    /// The clamped clock: the latest time the pacer has been given.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// A request of `ticket` was handed to the host.
    pub fn on_send(&mut self, now_ms: u64, ticket: &mut Ticket) {
        let now = self.tick(now_ms);
        ticket.sent_at = Some(now);
        for class in ticket.classes() {
            self.sends.entry(class).or_default().record(now);
            self.slowdown.entry(class).or_default().last_send = Some(now);
        }
        self.in_flight += 1;
        if let Some(key) = &ticket.key {
            *self.in_flight_by_key.entry(key.clone()).or_default() += 1;
        }
        self.sends_since_tenant_check = self.sends_since_tenant_check.saturating_add(1);
        self.prune(now);
    }

    /// A request of `ticket` finished.
    pub fn on_complete(&mut self, now_ms: u64, ticket: &Ticket, outcome: Outcome) {
        let now = self.tick(now_ms);
        if let Some(sent) = ticket.sent_at {
            for class in ticket.classes() {
                if let Some(timeline) = self.sends.get_mut(&class) {
                    timeline.retime(sent, now);
                }
            }
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(key) = &ticket.key {
            if let Some(n) = self.in_flight_by_key.get_mut(key) {
                *n = n.saturating_sub(1);
            }
        }
        match outcome {
            Outcome::Success => {
                for class in ticket.classes() {
                    let slow = self.slowdown.entry(class).or_default();
                    slow.factor = (slow.factor + SLOWDOWN_RECOVERY).min(1.0);
                }
            }
            // The guard counts what the server may have counted: every answer that is not
            // a success, and transport failures (the request may have reached it).
            Outcome::Failed { .. } | Outcome::Transport => {
                if !self.guard.is_empty() {
                    self.failures.record(now);
                }
            }
        }
    }

    /// The server throttled a request of `ticket`: pause its classes for `pause_ms` and
    /// halve their rate. A server-named pause is honoured up to max_wait, like every
    /// server-named wait: the throttled request itself gives up beyond it, and the other
    /// jobs must not wait longer than it either (a Retry-After in the year 9999 would
    /// otherwise hold them for ever).
    pub fn on_rate_limited(&mut self, now_ms: u64, ticket: &Ticket, pause_ms: u64) {
        let now = self.tick(now_ms);
        let pause_ms = pause_ms.min(self.options.max_wait_ms);
        for class in ticket.classes() {
            let slow = self.slowdown.entry(class).or_default();
            slow.factor = (slow.factor / 2.0).max(SLOWDOWN_MIN_FACTOR);
            slow.paused_until = slow.paused_until.max(now.saturating_add(pause_ms));
        }
    }

    /// When to retry after `error` on attempt `attempts` of a request first sent at
    /// `first_sent_ms`, or None to give up. `retry_after` is the server's Retry-After.
    pub fn retry_at(
        &mut self,
        error: &Error,
        attempts: u32,
        first_sent_ms: u64,
        retry_after: Option<u64>,
        now_ms: u64,
    ) -> Option<u64> {
        let now = self.tick(now_ms);
        if !is_transient(error) {
            return None;
        }
        let delay = retry::backoff_ms(
            &self.options.retry,
            &mut self.jitter,
            error,
            attempts,
            retry_after,
        )?;
        let at = now.saturating_add(delay);
        // The server named the instant itself: wait for it like for a full window, as
        // long as that stays within max_wait; our own backoff keeps to the retry budget.
        let server_set = retry_after.is_some_and(|r| r == delay);
        let limit = if server_set {
            now.saturating_add(self.options.max_wait_ms)
        } else {
            first_sent_ms.saturating_add(self.options.retry.max_total_ms)
        };
        (at <= limit).then_some(at)
    }

    /// The error for a job that would have to wait until `until` (beyond max_wait).
    pub fn budget_error(&self, now_ms: u64, until: Option<u64>) -> Error {
        let what = match until {
            Some(t) => format!(
                "The next request could only go out in {}, longer than the allowed wait of {}",
                human_duration(t.saturating_sub(now_ms)),
                human_duration(self.options.max_wait_ms)
            ),
            None => "No request can go out within the configured limits".to_string(),
        };
        let remediation = if self.guard.is_empty() {
            "A configured rate limit allows no request at all (a window with limit 0): \
             check the pacing options."
        } else {
            "Too many requests failed recently: sending more could get this machine's IP \
             blocked by the server. Fix the cause of the failures (credentials, URLs, \
             permissions), then run the job again later."
        };
        Error::new(ErrorCode::BudgetExhausted, what, remediation)
    }

    fn prune(&mut self, now: u64) {
        let horizon = |windows: &[RateWindow]| windows.iter().map(|w| w.per_ms).max().unwrap_or(0);
        let default_horizon = self
            .windows
            .get(&EndpointClass::Default)
            .map_or(0, |w| horizon(w));
        for (class, timeline) in self.sends.iter_mut() {
            let own = self.windows.get(class).map_or(0, |w| horizon(w));
            timeline.prune(now, own.max(default_horizon));
        }
        self.failures.prune(now, horizon(&self.guard));
        self.shared.prune(now);
    }

    // --- Autotask tenant adaptation ---------------------------------------------------

    /// True when the tenant's counter should be read before the next list request: once
    /// a list turns out long (`long_list`), then every five minutes and 20 sends, every
    /// 500 sends, and whenever a fitted limit expired.
    pub fn tenant_check_due(&self, now_ms: u64, long_list: bool) -> bool {
        if self.vendor != Vendor::Autotask {
            return false;
        }
        match self.tenant_checked_at {
            None => long_list,
            Some(at) => {
                self.tenant_recheck
                    || self
                        .fitted
                        .is_some_and(|f| now_ms >= f.expires_at && self.fitted_binds(f))
                    || self.sends_since_tenant_check >= TENANT_CHECK_MAX_SENDS
                    || (now_ms.saturating_sub(at) >= TENANT_CHECK_INTERVAL_MS
                        && self.sends_since_tenant_check >= TENANT_CHECK_MIN_SENDS)
            }
        }
    }

    /// An expired reading is dropped. Only one that held us below our share is worth
    /// taking again at once: otherwise a slow list (one request per 10 minutes) would
    /// spend every slot on readings; the 5-minute/20-send rule schedules the next one.
    fn expire_fitted_limit(&mut self, now: u64) {
        if let Some(f) = self.fitted.filter(|f| now >= f.expires_at) {
            self.tenant_recheck = self.fitted_binds(f);
            self.fitted = None;
        }
    }

    /// True when the fitted limit is tighter than the configured share.
    fn fitted_binds(&self, fitted: FittedLimit) -> bool {
        self.windows
            .get(&EndpointClass::Default)
            .is_some_and(|windows| windows.iter().any(|w| fitted.limit < w.limit))
    }

    /// The reading failed; go on with the configured share until the next check.
    pub fn on_tenant_usage_unknown(&mut self, now_ms: u64) {
        let now = self.tick(now_ms);
        self.tenant_checked_at = Some(now);
        self.sends_since_tenant_check = 0;
        self.tenant_recheck = false;
    }

    /// Fits the vendor-wide limit to what the tenant has left: other integrations used
    /// `current` minus our own sends within the timeframe.
    pub fn on_tenant_usage(&mut self, now_ms: u64, usage: TenantUsage) {
        let now = self.tick(now_ms);
        self.on_tenant_usage_unknown(now);
        let since = now.saturating_sub(usage.timeframe_ms);
        let ours = self
            .sends
            .get(&EndpointClass::Default)
            .map_or(0, |t| t.count_since(since)) as u32
            + self
                .shared
                .others_count_since(EndpointClass::Default, since);
        let others = usage.current.saturating_sub(ours);
        // Keep 1% of the threshold (at least 10) free for the counter's imprecision.
        let margin = (usage.threshold / 100).max(10);
        let left = usage
            .threshold
            .saturating_sub(others)
            .saturating_sub(margin);
        self.fitted = Some(FittedLimit {
            limit: left.max(1),
            expires_at: now.saturating_add(TENANT_READING_TTL_MS),
        });
    }

    // --- shared state ------------------------------------------------------------------

    /// Our sends and failures, bucketed, plus what we imported, as JSON.
    pub fn export(&self) -> Option<serde_json::Value> {
        let mut own: BTreeMap<String, Buckets> = BTreeMap::new();
        for (class, timeline) in &self.sends {
            own.insert(
                class.as_str().to_string(),
                Buckets::from_timeline(timeline, self.resolution(*class)),
            );
        }
        let failures = Buckets::from_timeline(&self.failures, export_resolution(self.guard.iter()));
        self.shared.export(own, failures)
    }

    /// Merges another process's exported pacing state.
    pub fn import(&mut self, value: &serde_json::Value) -> Result<(), Error> {
        let own_is_empty = self.sends.values().all(|t| t.len() == 0) && self.failures.len() == 0;
        self.shared.import(value, own_is_empty)?;
        if self.observed {
            self.prune(self.clock);
        }
        Ok(())
    }

    /// Bucket width for exporting `class`: a 3,600th of its shortest window (1 s for an
    /// hour). Buckets round times up, so another process sees a slot free up to one
    /// bucket late; coarser buckets cost whole percents when a full window refills.
    fn resolution(&self, class: EndpointClass) -> u64 {
        export_resolution(self.windows_for(class).iter().flat_map(|(_, w)| w.iter()))
    }
}

/// A 3,600th of the shortest of `windows` (1 s when none).
fn export_resolution<'a>(windows: impl Iterator<Item = &'a RateWindow>) -> u64 {
    windows
        .map(|w| w.per_ms)
        .min()
        .map_or(1000, |shortest| (shortest / 3600).max(1))
}

/// The spacing of the slowest window's average rate (per_ms / limit).
fn slowest_spacing_ms(windows: &[RateWindow]) -> Option<u64> {
    windows
        .iter()
        .filter(|w| w.limit > 0)
        .map(|w| w.per_ms / u64::from(w.limit))
        .max()
}

fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            class: EndpointClass::Default,
            key: None,
            sent_at: None,
        }
    }

    fn pacer(vendor: Vendor, windows: Vec<RateWindow>) -> Pacer {
        let options = PacingOptions {
            windows: BTreeMap::from([(EndpointClass::Default, windows)]),
            ..PacingOptions::default()
        };
        Pacer::new(vendor, &options, 1)
    }

    fn send(p: &mut Pacer, now: u64, outcome: Outcome) {
        let mut t = ticket();
        p.on_send(now, &mut t);
        p.on_complete(now, &t, outcome);
    }

    #[test]
    fn a_clock_running_backwards_cannot_reopen_a_window() {
        let mut p = pacer(Vendor::Vsa9, vec![RateWindow::new(2, 1000)]);
        send(&mut p, 10_000, Outcome::Success);
        send(&mut p, 10_000, Outcome::Success);
        // The host clock jumps back: the sends still count, in the time already seen.
        assert_eq!(p.gate(5_000, &ticket()), Gate::Until(11_001));
    }

    #[test]
    fn a_429_pauses_and_halves_the_rate_then_success_recovers_it() {
        let mut p = pacer(Vendor::Vsa9, vec![RateWindow::new(60, 60_000)]);
        send(&mut p, 0, Outcome::Failed { rate_limited: true });
        p.on_rate_limited(0, &ticket(), 5_000);
        assert_eq!(p.gate(1_000, &ticket()), Gate::Until(5_000));
        // After the pause: spaced at the window's average interval over the reduced rate
        // (1 s / 0.52: halved by the 429, one success won back).
        send(&mut p, 5_000, Outcome::Success);
        assert_eq!(p.gate(5_000, &ticket()), Gate::Until(5_000 + 1_923));
        for i in 0..60 {
            send(&mut p, 100_000 + i * 2_000, Outcome::Success);
        }
        assert_eq!(
            p.gate(300_000, &ticket()),
            Gate::Open,
            "recovered after successes"
        );
    }

    #[test]
    fn a_server_named_pause_is_bounded_by_max_wait() {
        let mut p = pacer(Vendor::Vsa9, vec![RateWindow::new(60, 60_000)]);
        send(&mut p, 0, Outcome::Failed { rate_limited: true });
        p.on_rate_limited(0, &ticket(), u64::MAX / 2);
        let max_wait = PacingOptions::default().max_wait_ms;
        assert_eq!(p.gate(1_000, &ticket()), Gate::Until(max_wait));
    }

    #[test]
    fn autotask_fits_its_share_to_what_the_tenant_has_left() {
        let mut p = Pacer::new(Vendor::Autotask, &PacingOptions::default(), 1);
        for i in 0..100 {
            send(&mut p, i * 10, Outcome::Success);
        }
        assert!(p.tenant_check_due(1_000, true));
        assert!(
            !p.tenant_check_due(1_000, false),
            "a short list reads nothing"
        );
        // 9,000 used of 10,000, 100 of them ours: others use 8,900; keep 100 spare.
        p.on_tenant_usage(
            1_000,
            TenantUsage {
                threshold: 10_000,
                timeframe_ms: 3_600_000,
                current: 9_000,
            },
        );
        assert!(!p.tenant_check_due(2_000, true));
        assert_eq!(p.fitted.map(|f| f.limit), Some(1_000));
        // The reading expires, and the next list request reads again.
        assert_eq!(p.gate(700_000, &ticket()), Gate::Open);
        assert!(p.fitted.is_none() && p.tenant_check_due(700_000, false));
        let mut p2 = Pacer::new(Vendor::Autotask, &PacingOptions::default(), 1);
        p2.on_tenant_usage(
            0,
            TenantUsage {
                threshold: 10_000,
                timeframe_ms: 3_600_000,
                current: 3_000,
            },
        );
        assert_eq!(p2.fitted.map(|f| f.limit), Some(6_900));
        assert_eq!(
            p2.windows_for(EndpointClass::Default)[0].1[0].limit,
            5_000,
            "the share still caps it"
        );
    }

    #[test]
    fn the_guard_stays_below_thresholds_and_gives_up_beyond_max_wait() {
        let mut p = Pacer::new(Vendor::Vsax, &PacingOptions::default(), 1);
        for i in 0..29 {
            assert_eq!(p.gate(i * 100, &ticket()), Gate::Open, "failure {i}");
            send(
                &mut p,
                i * 100,
                Outcome::Failed {
                    rate_limited: false,
                },
            );
        }
        // The 30th failure within a minute would be the block: wait for the first to age.
        assert_eq!(p.gate(3_000, &ticket()), Gate::Until(60_001));
        let mut strict = Pacer::new(
            Vendor::Vsax,
            &PacingOptions {
                max_wait_ms: 10_000,
                ..PacingOptions::default()
            },
            1,
        );
        for i in 0..29 {
            send(
                &mut strict,
                i * 100,
                Outcome::Failed {
                    rate_limited: false,
                },
            );
        }
        assert_eq!(strict.gate(3_000, &ticket()), Gate::Exhausted(Some(60_001)));
        assert_eq!(
            strict.budget_error(3_000, Some(60_000)).code(),
            ErrorCode::BudgetExhausted
        );
    }
}
