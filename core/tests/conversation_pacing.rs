//! Scripted conversations about pacing (VENDORS.md: rate limits, the VSA X failed-request
//! guard, Retry-After, Autotask thresholds): exact request sequences and exact instants.
//!
//! Retries are jittered with the client's `jitter_seed`: the same seed gives the same
//! backoffs, so a test that needs the instant of a jittered retry reads it from a probe
//! client with the same seed (`first_backoff`) and checks it against the policy's bounds.

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::*;
use mspkit_core::{
    Action, AutotaskPaging, Client, ClientOptions, EndpointClass, ErrorCode, Event, FailureGuard,
    ListOptions, PacingOptions, RateWindow, RetryPolicy, TransportErrorKind,
};
use serde_json::{json, Value};

const SECOND: u64 = 1000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
/// The core waits one millisecond (the host clock's resolution) past a window's end.
const Q: u64 = 1;

/// A jitter seed whose first backoff is not zero (checked where it is used).
const SEED: u64 = 7;

const ORGS_TOP1: &str = "https://acme.vsax.net/api/v3/organizations?$top=1";

// ---------------------------------------------------------------------------------------
// Clients.

/// The default pacing with the vendor-wide windows replaced by `windows`.
fn default_windows(windows: Vec<RateWindow>) -> PacingOptions {
    PacingOptions {
        windows: BTreeMap::from([(EndpointClass::Default, windows)]),
        ..PacingOptions::default()
    }
}

fn five_per_minute() -> PacingOptions {
    default_windows(vec![RateWindow::new(5, MINUTE)])
}

/// A VSA X client with `pacing`, jittered (and named in shared state) by `seed`.
fn vsax_with(pacing: PacingOptions, seed: u64) -> Client {
    Client::vsax(
        VSAX_TENANT,
        VSAX_TOKEN_ID,
        VSAX_TOKEN_SECRET,
        ClientOptions {
            jitter_seed: seed,
            pacing,
            ..ClientOptions::default()
        },
    )
    .expect("valid VSA X configuration")
}

/// An Autotask client in the configured ws15 zone (no discovery), keyset paging.
fn autotask_with(pacing: PacingOptions, seed: u64) -> Client {
    Client::autotask(
        AT_USER,
        AT_SECRET,
        AT_INTEGRATION_CODE,
        Some(AT_ZONE),
        None,
        ClientOptions {
            jitter_seed: seed,
            pacing,
            autotask_paging: AutotaskPaging::Keyset,
            ..ClientOptions::default()
        },
    )
    .expect("valid Autotask configuration")
}

// ---------------------------------------------------------------------------------------
// VSA X wire helpers.

fn devices_url(top: u32, skip: u64) -> String {
    format!("https://acme.vsax.net/api/v3/devices?$top={top}&$skip={skip}")
}

fn organizations_url(top: u32, skip: u64) -> String {
    format!("https://acme.vsax.net/api/v3/organizations?$top={top}&$skip={skip}")
}

/// The custom fields of an organisation that does not exist (a 404 each).
fn customfields_resource(n: u32) -> String {
    format!("organizations/{}/customfields", 9000 + n)
}

fn customfields_url(n: u32) -> String {
    format!(
        "https://acme.vsax.net/api/v3/{}?$top=100&$skip=0",
        customfields_resource(n)
    )
}

fn page_of(size: u32) -> ListOptions {
    ListOptions {
        page_size: Some(size),
        ..ListOptions::default()
    }
}

/// Every VSA X request carries the token pair as Basic, and asks for JSON.
fn vsax_get(url: impl Into<String>) -> Step {
    Step::get(url)
        .header("Authorization", VSAX_BASIC)
        .header("Accept", "application/json")
}

/// A VSA X list page holding records `first..first + count` (1-based) of `total`.
fn vsax_page(first: u64, count: u64, total: u64) -> Vec<u8> {
    let data: Vec<Value> = (first..first + count)
        .map(|n| json!({"Identifier": format!("device-{n}"), "Name": format!("Device {n}")}))
        .collect();
    serde_json::to_vec(&json!({
        "Data": data,
        "Meta": {"ResponseCode": 200, "TotalCount": total}
    }))
    .expect("serialisable")
}

fn not_found() -> Vec<u8> {
    fixture!("vsax/error_404.json")
}

/// Lists five one-record pages of devices; all five go out at T0.
fn five_pages(c: &mut Conversation) {
    let job = c.client.start_list("devices", &page_of(1)).unwrap();
    let steps = (0..5)
        .map(|skip| vsax_get(devices_url(1, skip)).reply(200, vsax_page(skip + 1, 1, 5)))
        .collect();
    let events = c.run(steps);
    assert_eq!(expect_done(&events, job), (5, 5));
    assert_eq!(c.sent_at, vec![T0; 5]);
}

/// The first retry backoff of a client seeded with `seed`, read from a probe (a
/// connection test answered 503, then 200): full jitter over the first ceiling of the
/// default policy (1 s).
fn first_backoff(seed: u64) -> u64 {
    let mut probe = Conversation::new(vsax_with(PacingOptions::default(), seed));
    let job = probe.client.start_test_connection();
    let events = probe.run(vec![
        vsax_get(ORGS_TOP1).reply(503, ""),
        vsax_get(ORGS_TOP1).reply(200, fixture!("vsax/organizations_top1.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
    let backoff = probe.sent_at[1] - probe.sent_at[0];
    assert!(
        backoff <= RetryPolicy::default().base_ms,
        "first backoff {backoff} ms"
    );
    backoff
}

/// The most of `spans` (sent, answered) that meet one interval `[a, a + per_ms)`: the
/// server may count a failed request at any instant between the two.
fn most_in_a_window(spans: &[(u64, u64)], per_ms: u64) -> usize {
    let starts = spans
        .iter()
        .map(|&(s, _)| s.saturating_sub(per_ms - 1))
        .chain(spans.iter().map(|&(_, e)| e));
    starts
        .map(|a| {
            spans
                .iter()
                .filter(|&&(s, e)| e >= a && s < a + per_ms)
                .count()
        })
        .max()
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Autotask wire helpers.

fn at_post(url: impl Into<String>, body: Value) -> Step {
    Step::post(url, body)
        .header("ApiIntegrationCode", AT_INTEGRATION_CODE)
        .header("UserName", AT_USER)
        .header("Secret", AT_SECRET)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
}

/// The keyset query for one record after `after_id`.
fn at_query(after_id: Option<i64>) -> Step {
    at_post(
        format!("{AT_ZONE}Companies/query"),
        autotask_query_body(1, after_id),
    )
}

/// A one-record query page (or the empty page that ends a keyset list).
fn at_page(ids: &[i64]) -> Vec<u8> {
    autotask_companies_page(ids, 1, None)
}

fn threshold_step() -> Step {
    Step::get(format!("{AT_ZONE}ThresholdInformation"))
        .header("ApiIntegrationCode", AT_INTEGRATION_CODE)
        .header("UserName", AT_USER)
        .header("Secret", AT_SECRET)
}

/// ThresholdInformation: `current` of the tenant's 10,000 requests per 60 minutes used.
fn threshold(current: u32) -> Step {
    threshold_step().reply(
        200,
        serde_json::to_vec(&json!({
            "externalRequestThreshold": 10000,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": current
        }))
        .unwrap(),
    )
}

fn is_threshold(url: &str) -> bool {
    url == format!("{AT_ZONE}ThresholdInformation")
}

// ---------------------------------------------------------------------------------------
// Retries.

#[test]
fn a_502_then_200_delivers_the_page_after_one_retry_at_the_backoff_instant() {
    let backoff = first_backoff(SEED);
    assert!(backoff > 0, "pick a seed whose first backoff is not zero");
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(2, 0)).reply(502, fixture!("common/bad_gateway.html")),
        vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 2)),
    ]);
    assert_eq!(pages(&events, job).len(), 1);
    assert_eq!(expect_done(&events, job), (2, 2));
    assert_eq!(c.sent_at, vec![T0, T0 + backoff]);
    assert_eq!(c.waits, vec![T0 + backoff]);
}

#[test]
fn the_retry_waits_for_the_backoff_counted_from_the_failed_answer() {
    // The 502 takes 5 s to arrive: the backoff starts then, not at the send.
    let backoff = first_backoff(SEED);
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(2, 0))
            .reply(502, fixture!("common/bad_gateway.html"))
            .at(T0 + 5 * SECOND),
        vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 2)),
    ]);
    assert_eq!(expect_done(&events, job), (2, 2));
    assert_eq!(c.sent_at, vec![T0, T0 + 5 * SECOND + backoff]);
    assert_eq!(c.waits, vec![T0 + 5 * SECOND + backoff]);
}

#[test]
fn a_transport_timeout_is_retried() {
    let backoff = first_backoff(SEED);
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(2, 0)).transport_error(
            TransportErrorKind::Timeout,
            "operation timed out after 30 s",
        ),
        vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 2)),
    ]);
    assert_eq!(items(&events, job).len(), 2);
    assert_eq!(expect_done(&events, job), (2, 2));
    assert_eq!(c.sent_at, vec![T0, T0 + backoff]);
}

#[test]
fn retry_after_120_holds_every_request_two_minutes_then_the_class_is_spaced() {
    // 60 per minute: an average interval of 1 s. The 429 pauses the class for the 120 s
    // the server named and halves its rate; each success wins back 1/50 of it, so the
    // spacing is 1 s / 0.52, / 0.54, / 0.56, / 0.58 = 1923, 1851, 1785, 1724 ms.
    let mut c = Conversation::new(vsax_with(
        default_windows(vec![RateWindow::new(60, MINUTE)]),
        SEED,
    ));
    let devices = c.client.start_list("devices", &page_of(1)).unwrap();
    let organizations = c.client.start_list("organizations", &page_of(1)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(1, 0)).reply_with_headers(
            429,
            &[("Retry-After", "120")],
            r#"{"Data":null,"Meta":{"ResponseCode":429,"ErrorMessage":"Too many requests"}}"#,
        ),
        // The other job is held too; it is its turn first.
        vsax_get(organizations_url(1, 0)).reply(200, vsax_page(1, 1, 1)),
        vsax_get(devices_url(1, 0)).reply(200, vsax_page(1, 1, 4)),
        vsax_get(devices_url(1, 1)).reply(200, vsax_page(2, 1, 4)),
        vsax_get(devices_url(1, 2)).reply(200, vsax_page(3, 1, 4)),
        vsax_get(devices_url(1, 3)).reply(200, vsax_page(4, 1, 4)),
    ]);
    assert_eq!(expect_done(&events, organizations), (1, 1));
    assert_eq!(expect_done(&events, devices), (5, 4));
    let resumed = T0 + 120 * SECOND;
    assert_eq!(
        c.sent_at,
        vec![
            T0,
            resumed,
            resumed + 1923,
            resumed + 1923 + 1851,
            resumed + 1923 + 1851 + 1785,
            resumed + 1923 + 1851 + 1785 + 1724,
        ]
    );
    assert!(c.sent_at[1..].iter().all(|&t| t >= resumed));
}

#[test]
fn retry_after_as_an_http_date_is_measured_against_the_date_header() {
    // T0 is 12:00:00 on the host. The server's clock is a minute behind, then five
    // minutes ahead: either way the wait is Retry-After minus Date.
    for (date, retry_after, delay) in [
        (
            "Sun, 22 Nov 2026 11:59:00 GMT",
            "Sun, 22 Nov 2026 11:59:30 GMT",
            30 * SECOND,
        ),
        (
            "Sun, 22 Nov 2026 12:05:00 GMT",
            "Sun, 22 Nov 2026 12:05:45 GMT",
            45 * SECOND,
        ),
    ] {
        let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
        let job = c.client.start_list("devices", &page_of(2)).unwrap();
        let events = c.run(vec![
            vsax_get(devices_url(2, 0)).reply_with_headers(
                503,
                &[("Date", date), ("Retry-After", retry_after)],
                "",
            ),
            vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 2)),
        ]);
        assert_eq!(expect_done(&events, job), (2, 2), "{date}");
        assert_eq!(c.sent_at, vec![T0, T0 + delay], "{date}");
        assert_eq!(c.waits, vec![T0 + delay], "{date}");
    }
}

#[test]
fn a_retry_after_is_waited_out_within_max_wait_and_fails_the_job_beyond_it() {
    let pacing = PacingOptions {
        max_wait_ms: 5 * MINUTE,
        ..PacingOptions::default()
    };
    let too_many =
        r#"{"Data":null,"Meta":{"ResponseCode":429,"ErrorMessage":"Too many requests"}}"#;

    let mut c = Conversation::new(vsax_with(pacing.clone(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(2, 0)).reply_with_headers(429, &[("Retry-After", "240")], too_many),
        vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 2)),
    ]);
    assert_eq!(expect_done(&events, job), (2, 2));
    assert_eq!(c.sent_at, vec![T0, T0 + 4 * MINUTE]);
    assert_eq!(c.waits, vec![T0 + 4 * MINUTE]);

    let mut c = Conversation::new(vsax_with(pacing, SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![vsax_get(devices_url(2, 0)).reply_with_headers(
        429,
        &[("Retry-After", "600")],
        too_many,
    )]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::RateLimited);
    assert_eq!(error.status(), Some(429));
    assert_eq!(requests_made, 1);
    assert_eq!(c.sent_at, vec![T0]);
    assert!(c.waits.is_empty());
}

#[test]
fn retries_exhausted_fail_with_the_last_error_after_max_attempts() {
    let attempts = RetryPolicy::default().max_attempts;
    assert_eq!(attempts, 5);

    // 503s: full jitter under ceilings of 1, 2, 4 and 8 s.
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let steps = (0..attempts)
        .map(|_| vsax_get(devices_url(2, 0)).reply(503, fixture!("common/bad_gateway.html")))
        .collect();
    let events = c.run(steps);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert_eq!(error.status(), Some(503));
    assert_eq!(requests_made, attempts);
    assert_eq!(c.sent.len(), attempts as usize);
    assert_eq!(c.sent_at[0], T0);
    for (n, pair) in c.sent_at.windows(2).enumerate() {
        let ceiling = SECOND << n;
        assert!(
            pair[1] - pair[0] <= ceiling,
            "backoff {n}: {} ms",
            pair[1] - pair[0]
        );
    }

    // 429s without Retry-After: each pauses the class for the 5 s floor and halves its
    // rate (VSA X: 3,600 per hour, 1 s apart on average), so the spacing from the last
    // send grows 2, 4, 8, 16 s and outlasts the backoff: the instants are exact.
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let steps = (0..attempts)
        .map(|_| vsax_get(devices_url(2, 0)).reply(429, ""))
        .collect();
    let events = c.run(steps);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::RateLimited);
    assert_eq!(requests_made, attempts);
    assert_eq!(
        c.sent_at,
        vec![
            T0,
            T0 + 5 * SECOND,
            T0 + 10 * SECOND,
            T0 + 18 * SECOND,
            T0 + 34 * SECOND
        ]
    );
}

#[test]
fn client_errors_are_never_retried() {
    for (status, body, code) in [
        (
            401,
            fixture!("vsax/error_401.json"),
            ErrorCode::Unauthorized,
        ),
        (403, fixture!("vsax/error_403.json"), ErrorCode::Forbidden),
        (404, not_found(), ErrorCode::NotFound),
        (
            400,
            br#"{"Data":null,"Meta":{"ResponseCode":400,"ErrorMessage":"Invalid filter."}}"#
                .to_vec(),
            ErrorCode::InvalidConfig,
        ),
    ] {
        let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
        let job = c.client.start_list("devices", &page_of(2)).unwrap();
        // No second step: a retry would fail the script.
        let events = c.run(vec![vsax_get(devices_url(2, 0)).reply(status, body)]);
        let (error, requests_made) = expect_failed(&events, job);
        assert_eq!(error.code(), code, "{status}");
        assert_eq!(error.status(), Some(status));
        assert!(!error.is_retryable(), "{status}");
        assert_eq!(requests_made, 1, "{status}");
        assert_eq!(c.sent.len(), 1, "{status}");
        assert!(c.waits.is_empty(), "{status}");
    }
}

#[test]
fn autotask_500_integration_code_invalid_is_not_retried() {
    let mut c = Conversation::new(autotask_with(PacingOptions::default(), SEED));
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![at_post(
        format!("{AT_ZONE}Companies/query"),
        autotask_query_body(500, None),
    )
    .reply(
        500,
        fixture!("autotask/error_integration_code_invalid.json"),
    )]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(500));
    assert!(!error.is_retryable());
    assert_eq!(requests_made, 1);
    assert_eq!(c.sent.len(), 1);
}

#[test]
fn an_autotask_500_without_a_client_mistake_is_retried_because_a_query_post_reads() {
    let backoff = first_backoff(SEED);
    let count = || {
        at_post(
            format!("{AT_ZONE}Companies/query/count"),
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
    };
    let mut c = Conversation::new(autotask_with(PacingOptions::default(), SEED));
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        count().reply(
            500,
            r#"{"errors":["An unexpected error has occurred. Please try again."]}"#,
        ),
        count().reply(200, fixture!("autotask/query_count.json")),
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(42));
    assert_eq!(report.requests_made, 2);
    assert_eq!(c.sent_at, vec![T0, T0 + backoff]);
}

// ---------------------------------------------------------------------------------------
// The VSA X failed-request guard.

#[test]
fn a_404_storm_sends_at_most_29_failures_in_the_first_minute_and_the_rest_wait() {
    // Documented: 30 failed requests a minute block the IP. 29 go at once; the 30th waits
    // until the first is a minute old, and then the rest fit in the new minute.
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let jobs: Vec<_> = (0..40)
        .map(|n| {
            c.client
                .start_list(&customfields_resource(n), &ListOptions::default())
                .unwrap()
        })
        .collect();
    let steps = (0..40)
        .map(|n| vsax_get(customfields_url(n)).reply(404, not_found()))
        .collect();
    let events = c.run(steps);
    for &job in &jobs {
        let (error, requests_made) = expect_failed(&events, job);
        assert_eq!(
            (error.code(), requests_made),
            (ErrorCode::NotFound, 1),
            "job {job}"
        );
    }
    assert_eq!(c.sent_at[..29], [T0; 29]);
    assert_eq!(c.sent_at[29..], [T0 + MINUTE + Q; 11]);
    assert_eq!(c.waits, vec![T0 + MINUTE + Q]);
}

#[test]
fn a_404_storm_with_failures_spread_out_never_has_30_in_a_minute() {
    // Each 404 takes a second to come back. The 30th request waits until the first
    // failure (answered at T0 + 1 s) is a minute old, then they go on a second apart.
    let sent = |n: u64| {
        if n < 29 {
            T0 + n * SECOND
        } else {
            T0 + MINUTE + (n - 28) * SECOND + Q
        }
    };
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let jobs: Vec<_> = (0..40)
        .map(|n| {
            c.client
                .start_list(&customfields_resource(n), &ListOptions::default())
                .unwrap()
        })
        .collect();
    let steps = (0..40)
        .map(|n| {
            vsax_get(customfields_url(n))
                .reply(404, not_found())
                .at(sent(u64::from(n)) + SECOND)
        })
        .collect();
    let events = c.run(steps);
    for &job in &jobs {
        assert_eq!(expect_failed(&events, job).0.code(), ErrorCode::NotFound);
    }
    assert_eq!(c.sent_at, (0..40).map(sent).collect::<Vec<_>>());
    assert_eq!(c.waits, vec![T0 + MINUTE + SECOND + Q]);
    let spans: Vec<(u64, u64)> = c.sent_at.iter().map(|&s| (s, s + SECOND)).collect();
    assert_eq!(most_in_a_window(&spans, MINUTE), 29);
}

#[test]
fn a_guard_wait_longer_than_max_wait_fails_with_budget_exhausted() {
    let pacing = PacingOptions {
        max_wait_ms: 30 * SECOND,
        ..PacingOptions::default()
    };
    let mut c = Conversation::new(vsax_with(pacing, SEED));
    let jobs: Vec<_> = (0..31)
        .map(|n| {
            c.client
                .start_list(&customfields_resource(n), &ListOptions::default())
                .unwrap()
        })
        .collect();
    let steps = (0..29)
        .map(|n| vsax_get(customfields_url(n)).reply(404, not_found()))
        .collect();
    let events = c.run(steps);
    for &job in &jobs[..29] {
        assert_eq!(expect_failed(&events, job).0.code(), ErrorCode::NotFound);
    }
    for &job in &jobs[29..] {
        let (error, requests_made) = expect_failed(&events, job);
        assert_eq!(error.code(), ErrorCode::BudgetExhausted);
        assert_eq!(requests_made, 0);
        assert_eq!(
            error.message(),
            "The next request could only go out in 60 s, longer than the allowed wait of 30 s"
        );
        let remediation = error.remediation();
        assert!(
            remediation.contains("failed") && remediation.contains("IP"),
            "{remediation}"
        );
    }
    assert_eq!(c.sent_at, vec![T0; 29]);
    assert!(c.waits.is_empty());
}

#[test]
fn the_announced_guard_lets_99_failures_through_in_a_minute() {
    let pacing = PacingOptions {
        failure_guard: Some(FailureGuard::Announced),
        ..PacingOptions::default()
    };
    let mut c = Conversation::new(vsax_with(pacing, SEED));
    let jobs: Vec<_> = (0..101)
        .map(|n| {
            c.client
                .start_list(&customfields_resource(n), &ListOptions::default())
                .unwrap()
        })
        .collect();
    let steps = (0..101)
        .map(|n| vsax_get(customfields_url(n)).reply(404, not_found()))
        .collect();
    let events = c.run(steps);
    for &job in &jobs {
        assert_eq!(expect_failed(&events, job).0.code(), ErrorCode::NotFound);
    }
    assert_eq!(c.sent_at[..99], [T0; 99]);
    assert_eq!(c.sent_at[99..], [T0 + MINUTE + Q; 2]);
    assert_eq!(c.waits, vec![T0 + MINUTE + Q]);
}

// ---------------------------------------------------------------------------------------
// Autotask's tenant budget.

#[test]
fn autotask_threshold_information_shrinks_the_hourly_limit_to_what_the_tenant_has_left() {
    // The first reading (after page 1): 9,000 of 10,000 used, 2 of them ours, so others
    // use 8,998; keeping 100 spare leaves 902 for this hour. A second reading after 500
    // sends finds the others unchanged. 902 requests go out at T0 (900 queries and the
    // two readings); then the client waits for the reading to expire at T0 + 10 min,
    // reads again, finds the others gone, and finishes.
    let mut steps = vec![at_query(None).reply(200, at_page(&[1])), threshold(9_000)];
    steps.extend((1..=500).map(|k| at_query(Some(k)).reply(200, at_page(&[k + 1]))));
    steps.push(threshold(8_998 + 503));
    steps.extend((501..=899).map(|k| at_query(Some(k)).reply(200, at_page(&[k + 1]))));
    steps.push(threshold(1_000));
    steps.extend((900..=904).map(|k| at_query(Some(k)).reply(200, at_page(&[k + 1]))));
    steps.push(at_query(Some(905)).reply(200, at_page(&[])));

    let mut c = Conversation::new(autotask_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("Companies", &page_of(1)).unwrap();
    let events = c.run(steps);
    assert_eq!(expect_done(&events, job), (909, 905));
    let at_t0 = c.sent_at.iter().filter(|&&t| t == T0).count();
    assert_eq!(at_t0, 902);
    assert_eq!(c.sent_at[902..], [T0 + 10 * MINUTE; 7]);
    assert_eq!(c.waits, vec![T0 + 10 * MINUTE]);
    let readings: Vec<usize> = (0..c.sent.len())
        .filter(|&i| is_threshold(&c.sent[i].url))
        .collect();
    assert_eq!(readings, vec![1, 502, 902]);
}

#[test]
fn a_failed_tenant_reading_does_not_fail_the_list() {
    let mut c = Conversation::new(autotask_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("Companies", &page_of(1)).unwrap();
    let events = c.run(vec![
        at_query(None).reply(200, at_page(&[1])),
        // Not retried: the reading only tunes the pace.
        threshold_step().reply(500, r#"{"errors":["An unexpected error has occurred."]}"#),
        at_query(Some(1)).reply(200, at_page(&[2])),
        at_query(Some(2)).reply(200, at_page(&[])),
    ]);
    assert_eq!(expect_done(&events, job), (4, 2));
    assert_eq!(c.sent_at, vec![T0; 4]);
    assert!(c.waits.is_empty());
}

#[test]
fn an_exhausted_tenant_budget_recovers_when_usage_drops() {
    // 9,950 used: nothing left after the 1% margin. The job waits for the reading to
    // expire (T0 + 10 min, not the hour), reads again, and goes on.
    let mut c = Conversation::new(autotask_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("Companies", &page_of(1)).unwrap();
    let events = c.run(vec![
        at_query(None).reply(200, at_page(&[1])),
        threshold(9_950),
        threshold(400),
        at_query(Some(1)).reply(200, at_page(&[2])),
        at_query(Some(2)).reply(200, at_page(&[])),
    ]);
    assert_eq!(expect_done(&events, job), (5, 2));
    let later = T0 + 10 * MINUTE;
    assert_eq!(c.sent_at, vec![T0, T0, later, later, later]);
    assert_eq!(c.waits, vec![later]);
}

#[test]
fn autotask_lists_advance_when_requests_are_five_minutes_apart() {
    // One request per 5 minutes. The first reading comes after page 1; the next ones only
    // after 20 of our sends (and 5 minutes), or when a reading that held us below our
    // share expires. With low tenant usage the rest of the list is all queries.
    let pacing = default_windows(vec![RateWindow::new(1, 5 * MINUTE)]);
    let mut c = Conversation::new(autotask_with(pacing, SEED));
    let job = c.client.start_list("Companies", &page_of(1)).unwrap();
    let events = c.run(vec![
        at_query(None).reply(200, at_page(&[1])),
        threshold(124),
        at_query(Some(1)).reply(200, at_page(&[2])),
        at_query(Some(2)).reply(200, at_page(&[3])),
        at_query(Some(3)).reply(200, at_page(&[])),
    ]);
    assert_eq!(expect_done(&events, job), (5, 3));
    assert_eq!(
        c.sent_at,
        (0..5)
            .map(|n| T0 + n * (5 * MINUTE + Q))
            .collect::<Vec<_>>()
    );
}

#[test]
fn autotask_lists_advance_when_requests_are_ten_minutes_apart() {
    // One request per 10 minutes, the lifetime of a tenant reading: the list must still
    // advance, whatever the rhythm of readings. (It once did not: every slot landed when
    // the last reading expired, and an expired reading was taken again at once.)
    let pacing = default_windows(vec![RateWindow::new(1, 10 * MINUTE)]);
    let mut client = autotask_with(pacing, SEED);
    let job = client.start_list("Companies", &page_of(1)).unwrap();
    let (mut now, mut events, mut sent) = (T0, Vec::new(), Vec::new());
    let mut queries = 0i64;
    while sent.len() < 20 {
        match client.poll(now) {
            Some(Action::Send(request)) => {
                let reading = is_threshold(&request.url);
                sent.push((
                    if reading { "reading" } else { "query" },
                    (now - T0) / MINUTE,
                ));
                let body = if reading {
                    fixture!("autotask/threshold_information.json")
                } else {
                    queries += 1;
                    let ids: Vec<i64> = (queries..=3).take(1).collect();
                    at_page(&ids)
                };
                client
                    .handle_response(request.id, 200, &[], &body, now)
                    .unwrap();
            }
            Some(Action::Wait { until_ms }) => now = until_ms,
            Some(Action::Event(event)) => events.push(event),
            None => break,
        }
    }
    assert!(
        client.is_idle(),
        "the list did not finish in {} requests (kind, minutes after T0): {sent:?}",
        sent.len()
    );
    assert_eq!(expect_done(&events, job).1, 3);
    assert_eq!(queries, 4);
    let readings = sent.len() as i64 - queries;
    assert!(readings <= queries, "{sent:?}");
}

// ---------------------------------------------------------------------------------------
// Shared state, requests in flight, clocks.

#[test]
fn an_imported_state_makes_the_second_client_wait_for_the_first_clients_sends() {
    let mut a = Conversation::new(vsax_with(five_per_minute(), 1));
    five_pages(&mut a);

    // B counts A's five sends, and leaves room for one more A may have sent since it
    // exported (its in-flight cap): four sends in the next minute, the fifth a minute on.
    let mut b = Conversation::new(vsax_with(five_per_minute(), 2));
    b.client.import_state(&a.client.export_state()).unwrap();
    let job = b.client.start_list("devices", &page_of(1)).unwrap();
    let steps = (0..5)
        .map(|skip| vsax_get(devices_url(1, skip)).reply(200, vsax_page(skip + 1, 1, 5)))
        .collect();
    let events = b.run(steps);
    assert_eq!(expect_done(&events, job), (5, 5));
    assert_eq!(
        b.sent_at,
        vec![
            T0 + MINUTE + Q,
            T0 + MINUTE + Q,
            T0 + MINUTE + Q,
            T0 + MINUTE + Q,
            T0 + 2 * (MINUTE + Q)
        ]
    );
    assert_eq!(b.waits, vec![T0 + MINUTE + Q, T0 + 2 * (MINUTE + Q)]);
}

#[test]
fn a_window_no_larger_than_the_other_process_in_flight_cap_still_lets_jobs_run() {
    let one_per_second = default_windows(vec![RateWindow::new(1, 1000)]);
    let mut a = Conversation::new(vsax_with(one_per_second.clone(), 1));
    let job = a.client.start_list("devices", &page_of(1)).unwrap();
    let events = a.run(vec![
        vsax_get(devices_url(1, 0)).reply(200, vsax_page(1, 1, 1))
    ]);
    expect_done(&events, job);

    // The room left for A's unseen sends is capped at the limit minus one: B waits for
    // A's send to leave the window instead of failing with budget_exhausted.
    let mut b = Conversation::new(vsax_with(one_per_second, 2));
    b.client.import_state(&a.client.export_state()).unwrap();
    let job = b.client.start_list("devices", &page_of(1)).unwrap();
    let events = b.run(vec![
        vsax_get(devices_url(1, 0)).reply(200, vsax_page(1, 1, 1))
    ]);
    assert_eq!(expect_done(&events, job), (1, 1));
    assert_eq!(b.sent_at, vec![T0 + 1000 + Q]);
    assert_eq!(b.waits, vec![T0 + 1000 + Q]);
}

#[test]
fn requests_in_flight_make_a_job_wait_not_fail() {
    // A guard of 2 failures a minute allows one; with a request in flight (it may fail)
    // the other job may not send yet, but it must wait for the answer, not fail.
    let pacing = PacingOptions {
        failure_guard: Some(FailureGuard::Custom(vec![RateWindow::new(2, MINUTE)])),
        max_in_flight: 2,
        ..PacingOptions::default()
    };

    // The slow request succeeds: the other job goes right after it.
    let mut c = Conversation::new(vsax_with(pacing.clone(), SEED));
    let devices = c.client.start_list("devices", &page_of(1)).unwrap();
    let organizations = c.client.start_list("organizations", &page_of(1)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(1, 0))
            .reply(200, vsax_page(1, 1, 1))
            .hold(),
        vsax_get(organizations_url(1, 0)).reply(200, vsax_page(1, 1, 1)),
    ]);
    assert_eq!(expect_done(&events, devices), (1, 1));
    assert_eq!(expect_done(&events, organizations), (1, 1));
    assert_eq!(c.sent_at, vec![T0, T0]);
    assert!(c.waits.is_empty());

    // It fails: the other job waits a minute for the failure to age, then sends.
    let mut c = Conversation::new(vsax_with(pacing, SEED));
    let devices = c.client.start_list("devices", &page_of(1)).unwrap();
    let organizations = c.client.start_list("organizations", &page_of(1)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(1, 0)).reply(404, not_found()).hold(),
        vsax_get(organizations_url(1, 0)).reply(200, vsax_page(1, 1, 1)),
    ]);
    assert_eq!(
        expect_failed(&events, devices).0.code(),
        ErrorCode::NotFound
    );
    assert_eq!(expect_done(&events, organizations), (1, 1));
    assert_eq!(c.sent_at, vec![T0, T0 + MINUTE + Q]);
    assert_eq!(c.waits, vec![T0 + MINUTE + Q]);
}

#[test]
fn a_clock_stepping_back_does_not_disable_retries() {
    // Page 1 at T0 + 20 min; the host clock then steps back to T0. The retry budget
    // (10 minutes from the first attempt) is measured in the client's clamped clock, so
    // the 502 on page 2 is retried, a backoff after T0 + 20 min.
    let backoff = first_backoff(SEED);
    let mut c = Conversation::new(vsax_with(PacingOptions::default(), SEED));
    let job = c.client.start_list("devices", &page_of(1)).unwrap();
    let late = T0 + 20 * MINUTE;
    let Some(Action::Send(page1)) = c.client.poll(late) else {
        panic!("page 1 goes out at once");
    };
    assert_eq!(page1.url, devices_url(1, 0));
    c.client
        .handle_response(page1.id, 200, &[], &vsax_page(1, 1, 2), late)
        .unwrap();
    c.now_ms = T0;
    let events = c.run(vec![
        vsax_get(devices_url(1, 1)).reply(502, fixture!("common/bad_gateway.html")),
        vsax_get(devices_url(1, 1)).reply(200, vsax_page(2, 1, 2)),
    ]);
    assert_eq!(pages(&events, job).len(), 2);
    assert_eq!(expect_done(&events, job), (3, 2));
    assert_eq!(c.sent_at, vec![T0, late + backoff]);
    assert_eq!(c.waits, vec![late + backoff]);
}

// Two processes must not share a jitter_seed / instance name (documented on
// PacingOptions::instance): a state under the client's own name is taken for its own.

#[test]
fn garbage_pacing_state_is_refused_and_changes_nothing() {
    let mut c = Conversation::new(vsax_with(five_per_minute(), 1));
    c.client.start_list("devices", &page_of(1)).unwrap();
    c.run(vec![
        vsax_get(devices_url(1, 0)).reply(200, vsax_page(1, 1, 3)),
        vsax_get(devices_url(1, 1)).reply(200, vsax_page(2, 1, 3)),
        vsax_get(devices_url(1, 2)).reply(200, vsax_page(3, 1, 3)),
    ]);
    let before = c.client.export_state();
    let valid_other = r#""a":{"sends":{"default":{"res":250,"b":[7181395200,5]}}}"#;
    for pacing in [
        r#""garbage""#.to_string(),
        "5".to_string(),
        "[]".to_string(),
        "{}".to_string(),
        r#"{"instances":5}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":{"res":0,"b":[]}}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":{"res":250,"b":[1]}}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":{"res":250,"b":[1,-3]}}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":{"res":250,"b":[1,"2"]}}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":{"res":250,"b":[1,99999999999]}}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{"default":"no"}}}}"#.to_string(),
        r#"{"instances":{"x":{"failures":{"res":1.5,"b":[]}}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{},"in_flight":0}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{},"in_flight":1000}}}"#.to_string(),
        r#"{"instances":{"x":{"sends":{},"in_flight":"2"}}}"#.to_string(),
        // A valid instance next to a bad one: neither is taken.
        format!(r#"{{"instances":{{{valid_other},"z":{{"sends":{{"default":{{"res":250}}}}}}}}}}"#),
    ] {
        let state = format!(r#"{{"v":1,"vendor":"vsax","pacing":{pacing}}}"#);
        let error = c.client.import_state(&state).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidConfig, "{state}");
        assert_eq!(c.client.export_state(), before, "{state}");
    }
    // And the pace is unchanged: two more sends fit in this minute without a wait.
    let job = c.client.start_list("devices", &page_of(2)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(2, 0)).reply(200, vsax_page(1, 2, 4)),
        vsax_get(devices_url(2, 2)).reply(200, vsax_page(3, 2, 4)),
    ]);
    expect_done(&events, job);
    assert_eq!(c.sent_at, vec![T0; 5]);
    assert!(c.waits.is_empty());
}

#[test]
fn a_far_future_imported_send_does_not_block_the_client_forever() {
    let mut client = vsax_with(five_per_minute(), 1);
    let index = u64::MAX / 250;
    let state = format!(
        r#"{{"v":1,"vendor":"vsax","pacing":{{"instances":{{"x":{{"sends":{{"default":{{"res":250,"b":[{index},5]}}}}}}}}}}}}"#
    );
    let accepted = client.import_state(&state);
    if let Err(e) = accepted {
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        return;
    }
    let job = client.start_list("devices", &page_of(1)).unwrap();
    match client.poll(T0) {
        Some(Action::Send(_)) => {}
        Some(Action::Event(Event::Failed { job: j, error, .. })) => {
            assert_eq!((j, error.code()), (job, ErrorCode::BudgetExhausted))
        }
        other => panic!("the client must not wait for ever: {other:?}"),
    }
}

#[test]
fn a_rate_window_wait_is_waited_out_even_beyond_max_wait() {
    // max_wait bounds the failed-request guard and server-named waits; a rate window is
    // the job's pace (PacingOptions::max_wait_ms): a peer's 5 sends at T0 under 5 per
    // hour mean waiting the hour, not failing.
    let pacing = PacingOptions {
        max_wait_ms: 10 * MINUTE,
        ..default_windows(vec![RateWindow::new(5, HOUR)])
    };
    let mut a = Conversation::new(vsax_with(pacing.clone(), 1));
    five_pages(&mut a);
    let mut b = vsax_with(pacing, 2);
    b.import_state(&a.client.export_state()).unwrap();
    b.start_list("devices", &page_of(1)).unwrap();
    match b.poll(T0) {
        Some(Action::Wait { until_ms }) => assert!(until_ms >= T0 + HOUR, "{until_ms}"),
        other => panic!("expected a wait for the hour, got {other:?}"),
    }
}
