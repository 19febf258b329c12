//! Pacing against lowered limits, and the failure budget: the core never sends more than
//! a window allows (the simulator answers no 429), and never enough failed requests for
//! VSA X to block the client's IP.

mod common;
mod host;

use std::time::Duration;

use common::*;
use host::*;
use mspkit_core::{Client, ErrorCode, FailureGuard, ListOptions, PacingOptions, RateWindow};

/// When the first 429 was sent, relative to the first request (for failure messages).
fn first_429(out: &Outcome) -> Option<u64> {
    let t0 = out.exchanges.first()?.sent_ms;
    out.exchanges
        .iter()
        .find(|e| e.status == Some(429))
        .map(|e| e.sent_ms - t0)
}

/// Starts `jobs` lists of `path` on `client` and runs them all with `driver`.
fn run_jobs(mut client: Client, path: &str, jobs: usize, driver: Driver) -> Outcome {
    for _ in 0..jobs {
        client
            .start_list(path, &ListOptions::default())
            .expect("the list starts");
    }
    driver.run(&mut client)
}

/// The requests made by each failed job whose error has `code`.
fn failures(out: &Outcome, code: ErrorCode) -> Vec<u32> {
    let with_code = out.failed.iter().filter(|(_, e, _)| e.code() == code);
    with_code.map(|(_, _, requests)| *requests).collect()
}

/// A VSA X client with a wrong secret.
fn wrong_secret(sim: &Sim, pacing: PacingOptions) -> Client {
    let id = sim.cred("vsax", "token_id");
    Client::vsax(&sim.origin(), id, "wrong", options(pacing)).expect("vsax client")
}

/// 120 devices in pages of 5 (24 requests) against `vsax.default=20/2s`, the client told
/// 20 per `client_ms`.
fn vsax_lowered_window(client_ms: u64) {
    let sim = Sim::start(config(
        &[("vsax.devices", 120)],
        &[("vsax.default", "20/2s")],
        &[],
    ));
    let out = list(vsax(&sim, window(20, client_ms)), "devices", &pages_of(5));
    out.assert_complete("Identifier", 120);
    let stats = sim.stats();
    let endpoint = "vsax GET devices";
    assert_eq!(
        counter(&stats, endpoint, "status_429"),
        0,
        "a 429 for the request sent {:?} ms after the first",
        first_429(&out)
    );
    assert_eq!(counter(&stats, endpoint, "requests"), 24);
    assert!(limit_peak(&stats, "vsax.default", 0) <= 20);
    let first = out.exchanges[0].sent_ms;
    assert!(
        out.exchanges[20].sent_ms >= first + client_ms,
        "the 21st request waited for the window"
    );
}

#[test]
fn vsax_keeps_to_a_lowered_window() {
    vsax_lowered_window(2000);
}

/// 250 companies in pages of 10 against a tenant threshold of 40 per 2 s, the client's
/// share 20 per `client_ms`.
fn autotask_share(client_ms: u64) {
    let mut cfg = config(
        &[("autotask.companies", 250)],
        &[("autotask.hourly", "40/2s")],
        &[],
    );
    // No added latency near the threshold: the test is about the client's pace alone.
    cfg.autotask_latency = false;
    let sim = Sim::start(cfg);
    let client = autotask(&sim, options(window(20, client_ms)));
    let out = list(client, "Companies", &pages_of(10));
    out.assert_complete("id", 250);
    let stats = sim.stats();
    let peak = limit_peak(&stats, "autotask.hourly", 0);
    assert_eq!(vendor_counter(&stats, "autotask", "status_429"), 0);
    assert!(
        peak <= 20,
        "the tenant saw {peak} requests within 2 s, the share is 20"
    );
    // zoneInformation, 25 pages, one ThresholdInformation reading.
    assert_eq!(out.sent(), 27, "{:?}", requests_by_endpoint(&stats));
    assert!(out.elapsed >= Duration::from_millis(client_ms));
}

#[test]
fn autotask_keeps_to_its_share_of_a_lowered_threshold() {
    autotask_share(2000);
}

#[test]
fn a_wrong_secret_costs_one_request_per_job() {
    let sim = Sim::small();
    let out = run_jobs(wrong_secret(&sim, fast_pacing()), "devices", 5, driver());
    assert_eq!(failures(&out, ErrorCode::Unauthorized), [1; 5]);
    assert_eq!(out.failed.len(), 5);
    let stats = sim.stats();
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 5);
    assert_eq!(stats["vsax_failed"]["failures"], 5);
}

#[test]
fn the_failure_budget_stops_jobs_before_a_block() {
    // The documented 30 failures a minute: 29 jobs send their one request, the rest give
    // up at once instead of waiting a minute (max_wait 1 s).
    let sim = Sim::small();
    let pacing = PacingOptions {
        max_wait_ms: 1000,
        ..PacingOptions::default()
    };
    let out = run_jobs(wrong_secret(&sim, pacing), "devices", 35, driver());
    assert_eq!(failures(&out, ErrorCode::Unauthorized), [1; 29]);
    assert_eq!(failures(&out, ErrorCode::BudgetExhausted), [0; 6]);
    let stats = sim.stats();
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 29);
    assert_eq!(stats["vsax_failed"]["blocks_started"], 0);
    assert_eq!(vendor_counter(&stats, "vsax", "blocked"), 0);
}

/// 110 jobs on an organisation that does not exist, against the documented failed-request
/// limits (30/min, 100/5 min, 300/h, 1,000/day) 60 times faster on both sides; the
/// client's windows `margin_ms` longer than the server's (0: told exactly the same).
fn storm(margin_ms: u64) {
    let mut cfg = small(&[]);
    cfg.time_scale = 60.0;
    let sim = Sim::start(cfg);
    let scaled = |w: RateWindow| RateWindow::new(w.limit, w.per_ms / 60 + margin_ms);
    let guard = FailureGuard::Custom(
        FailureGuard::Documented
            .windows()
            .into_iter()
            .map(scaled)
            .collect(),
    );
    let pacing = PacingOptions {
        failure_guard: Some(guard),
        ..fast_pacing()
    };
    let jobs = 110;
    let mut storm = driver();
    storm.deadline = Duration::from_secs(30);
    let out = run_jobs(vsax(&sim, pacing), "organizations/999999", jobs, storm);
    let stats = sim.stats();
    let failed = &stats["vsax_failed"];
    assert_eq!(
        failed["blocks_started"],
        0,
        "blocked by the request sent {:?} ms after the first: {failed}",
        first_429(&out)
    );
    assert_eq!(vendor_counter(&stats, "vsax", "blocked"), 0);
    assert_eq!(failures(&out, ErrorCode::NotFound), [1; 110]);
    assert_eq!(out.failed.len(), jobs);
    assert_eq!(failed["failures"], jobs as u64);
    for window in failed["windows"].as_array().unwrap() {
        let (peak, limit) = (window["peak"].as_u64(), window["limit"].as_u64());
        assert!(peak < limit, "{window}");
    }
    // One below each threshold the storm reaches: 29 a (scaled) minute, 99 in five.
    assert_eq!(failed["windows"][0]["peak"], 29);
    assert_eq!(failed["windows"][1]["peak"], 99);
    assert!(out.elapsed >= Duration::from_secs(5), "{:?}", out.elapsed);
}

#[test]
fn a_404_storm_never_trips_the_failed_request_block() {
    storm(0);
}
