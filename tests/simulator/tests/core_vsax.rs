//! The real core against the simulated Kaseya VSA X: connection tests, full lists (with
//! $skip and with NextQueryLink past 5,000 results) and resuming from a cursor.

mod common;
mod host;

use common::*;
use host::*;
use mspkit_core::{ErrorCode, ListOptions};

/// A simulator with `devices` devices, and the full list of them from a client.
fn devices(devices: usize) -> (Sim, Outcome) {
    let sim = Sim::start(small(&[("vsax.devices", devices)]));
    let out = list(
        vsax(&sim, fast_pacing()),
        "devices",
        &ListOptions::default(),
    );
    out.assert_complete("Identifier", devices);
    (sim, out)
}

/// Lists `devices` devices, stops after page `page`, resumes from its cursor on a new
/// client, and checks every device came once.
fn resumed_devices(devices: usize, page: u32) -> (Sim, Outcome) {
    let sim = Sim::start(small(&[("vsax.devices", devices)]));
    let (first, second) = (vsax(&sim, fast_pacing()), vsax(&sim, fast_pacing()));
    let (part, rest) = resume(first, second, "devices", &ListOptions::default(), page);
    assert_resumed(&part, &rest, "Identifier", devices);
    (sim, rest)
}

fn device_requests(sim: &Sim, field: &str) -> u64 {
    counter(&sim.stats(), "vsax GET devices", field)
}

#[test]
fn connection_test_reports_the_organization_count() {
    let sim = Sim::start(small(&[("vsax.organizations", 7)]));
    let out = connect(vsax(&sim, fast_pacing()));
    let message = "Connected to Kaseya VSA X: 7 organizations";
    assert_eq!(out.connected(), (Some(7), message, 1));
    let base = format!("{}/api/v3/", sim.origin());
    assert_eq!(out.report().base_url.as_deref(), Some(base.as_str()));
    let stats = sim.stats();
    assert_eq!(counter(&stats, "vsax GET organizations", "requests"), 1);
}

#[test]
fn a_wrong_secret_fails_unauthorized_after_exactly_one_request() {
    let sim = Sim::small();
    let out = connect(vsax_as(
        &sim.origin(),
        sim.cred("vsax", "token_id"),
        "not-the-secret",
    ));
    assert_eq!(out.refusal(), (ErrorCode::Unauthorized, 1));
    let report = out.report();
    assert_eq!(report.error.as_ref().unwrap().status(), Some(401));
    assert!(!report.message.contains("not-the-secret"));
    let stats = sim.stats();
    assert_eq!(vendor_counter(&stats, "vsax", "requests"), 1);
    assert_eq!(counter(&stats, "vsax GET organizations", "status_4xx"), 1);
}

#[test]
fn a_limited_token_is_forbidden() {
    let sim = Sim::small();
    let limited = &sim.run.sim.credentials.vsax.limited;
    let out = connect(vsax_as(
        &sim.origin(),
        &limited.token_id,
        &limited.token_secret,
    ));
    assert_eq!(out.refusal(), (ErrorCode::Forbidden, 1), "{out:?}");
    assert_eq!(vendor_counter(&sim.stats(), "vsax", "requests"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    let (_, not_found) = assert_wrong_urls_fail(|origin| vsax_as(origin, "id", "secret"));
    let error = not_found.report().error.as_ref().unwrap();
    assert_eq!(error.vendor_message(), Some("404 Not Found"));
}

#[test]
fn devices_list_pages_by_skip_exactly_once() {
    let (sim, out) = devices(250);
    let counts: Vec<usize> = out.pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, [100, 100, 50]);
    assert!(out.pages.iter().all(|p| p.total == Some(250)));
    assert_eq!(out.done, [(1, 3, 250)]);
    assert_eq!(device_requests(&sim, "requests"), 3);
    assert_eq!(device_requests(&sim, "status_2xx"), 3);
}

#[test]
fn a_list_over_5000_follows_next_query_link() {
    let (sim, out) = devices(5200);
    assert_eq!(out.pages.len(), 52);
    assert!(
        out.exchanges[1..]
            .iter()
            .all(|e| e.url.contains("$skiptoken=")),
        "every page after the first comes from NextQueryLink"
    );
    assert_eq!(device_requests(&sim, "requests"), 52);
    assert_eq!(device_requests(&sim, "status_4xx"), 0);
}

#[test]
fn a_cursor_resumes_a_skip_list_after_its_page() {
    let (sim, rest) = resumed_devices(430, 2);
    let numbers: Vec<u32> = rest.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [3, 4, 5]);
    assert_eq!(
        device_requests(&sim, "requests"),
        5,
        "no page fetched twice"
    );
}

#[test]
fn a_cursor_resumes_a_next_query_link_list() {
    let (sim, rest) = resumed_devices(5200, 50);
    assert_eq!(rest.pages.len(), 2);
    assert!(rest.exchanges[0].url.contains("$skiptoken=5000"));
    assert_eq!(device_requests(&sim, "requests"), 52);
}

#[test]
fn the_last_cursor_resumes_to_nothing() {
    let (sim, out) = devices(150);
    let resume = ListOptions {
        cursor: Some(out.last_cursor()),
        ..ListOptions::default()
    };
    let rest = list(vsax(&sim, fast_pacing()), "devices", &resume);
    assert!(rest.items.is_empty() && rest.exchanges.is_empty());
    assert_eq!(rest.done.len(), 1);
}
