//! Pacing against lowered limits, and the failure budget: the core never sends more than
//! a window allows (the simulator answers no 429), and never enough failed requests for
//! VSA X to block the client's IP.

mod host;

use std::collections::BTreeMap;
use std::time::Duration;

use host::*;
use mspkit_core::{
    Client, EndpointClass, ErrorCode, FailureGuard, ListOptions, PacingOptions, RateWindow,
};

fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

fn windows(limit: u32, per_ms: u64) -> PacingOptions {
    PacingOptions {
        windows: BTreeMap::from([(EndpointClass::Default, vec![RateWindow::new(limit, per_ms)])]),
        ..fast_pacing()
    }
}

/// When the first 429 was sent, relative to the first request (for failure messages).
fn first_429(out: &Outcome) -> Option<u64> {
    let t0 = out.exchanges.first()?.sent_ms;
    out.exchanges
        .iter()
        .find(|e| e.status == Some(429))
        .map(|e| e.sent_ms - t0)
}

/// 120 devices in pages of 5 (24 requests) against `vsax.default=20/2s`, the client told
/// 20 per `client_ms`.
fn vsax_lowered_window(client_ms: u64) {
    let sim = start(config(
        &[("vsax.devices", 120)],
        &[("vsax.default", "20/2s")],
        &[],
    ));
    let mut client = vsax(&sim, windows(20, client_ms));
    let small = ListOptions {
        page_size: Some(5),
        ..ListOptions::default()
    };
    client.start_list("devices", &small).unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("Identifier"), 120);
    let stats = stats(&sim);
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
    let sim = start(config(
        &[("autotask.companies", 250)],
        &[("autotask.hourly", "40/2s")],
        &[],
    ));
    let mut client = autotask(&sim, options(windows(20, client_ms)));
    let small = ListOptions {
        page_size: Some(10),
        ..ListOptions::default()
    };
    client.start_list("Companies", &small).unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("id"), 250);
    let stats = stats(&sim);
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
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsax(
        &sim.origin(),
        text(&c, "/vsax/token_id"),
        "wrong",
        options(fast_pacing()),
    )
    .unwrap();
    for _ in 0..5 {
        client
            .start_list("devices", &ListOptions::default())
            .unwrap();
    }
    let out = driver().run(&mut client);
    assert_eq!(out.failed.len(), 5);
    for (_, error, requests) in &out.failed {
        assert_eq!((error.code(), *requests), (ErrorCode::Unauthorized, 1));
    }
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 5);
    assert_eq!(stats["vsax_failed"]["failures"], 5);
}

#[test]
fn the_failure_budget_stops_jobs_before_a_block() {
    // The documented 30 failures a minute: 29 jobs send their one request, the rest give
    // up at once instead of waiting a minute (max_wait 1 s).
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let pacing = PacingOptions {
        max_wait_ms: 1000,
        ..PacingOptions::default()
    };
    let mut client = Client::vsax(
        &sim.origin(),
        text(&c, "/vsax/token_id"),
        "wrong",
        options(pacing),
    )
    .unwrap();
    for _ in 0..35 {
        client
            .start_list("devices", &ListOptions::default())
            .unwrap();
    }
    let out = driver().run(&mut client);
    let by_code = |code: ErrorCode| {
        out.failed
            .iter()
            .filter(|(_, e, _)| e.code() == code)
            .map(|(_, _, requests)| *requests)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_code(ErrorCode::Unauthorized), [1; 29]);
    assert_eq!(by_code(ErrorCode::BudgetExhausted), [0; 6]);
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 29);
    assert_eq!(stats["vsax_failed"]["blocks_started"], 0);
    assert_eq!(vendor_counter(&stats, "vsax", "blocked"), 0);
}

/// 110 jobs on an organisation that does not exist, against the documented failed-request
/// limits (30/min, 100/5 min, 300/h, 1,000/day) 60 times faster on both sides; the
/// client's windows `margin_ms` longer than the server's (0: told exactly the same).
fn storm(margin_ms: u64) {
    let mut cfg = config(&[], &[], &[]);
    cfg.time_scale = 60.0;
    let sim = start(cfg);
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
    let mut client = vsax(&sim, pacing);
    let jobs = 110;
    for _ in 0..jobs {
        client
            .start_list("organizations/999999", &ListOptions::default())
            .unwrap();
    }
    let mut storm = driver();
    storm.deadline = Duration::from_secs(30);
    let out = storm.run(&mut client);
    let stats = stats(&sim);
    let failed = &stats["vsax_failed"];
    assert_eq!(
        failed["blocks_started"],
        0,
        "blocked by the request sent {:?} ms after the first: {failed}",
        first_429(&out)
    );
    assert_eq!(vendor_counter(&stats, "vsax", "blocked"), 0);
    assert_eq!(out.failed.len(), jobs);
    for (_, error, requests) in &out.failed {
        assert_eq!((error.code(), *requests), (ErrorCode::NotFound, 1));
    }
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
