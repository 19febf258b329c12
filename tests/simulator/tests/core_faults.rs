//! Injected faults that a sync must survive with exact counts (5xx pages from proxies,
//! 429 with Retry-After, truncated bodies, cut and reset connections, slow answers beyond
//! the client timeout), and next-page links to another origin, which must never be
//! followed.

mod common;
mod host;

use std::time::Duration;

use common::*;
use host::*;
use mspkit_core::{
    AutotaskPaging, ClientOptions, ErrorCode, ListOptions, TransportErrorKind, Vsa9Auth,
};

/// VSA X devices: 430 records, 5 pages of 100.
const DEVICES: usize = 430;
const DEVICE_PAGES: u64 = 5;

/// Lists every device with one fault rule on the devices endpoint (`spec`: the rule's
/// fields after vendor and path), with a client timeout of `timeout`.
fn devices_with(spec: &str, timeout: Duration) -> (Sim, Outcome) {
    let rule = format!(r#"{{"vendor":"vsax","path":"devices",{spec}}}"#);
    let sim = Sim::start(config(&[("vsax.devices", DEVICES)], &[], &[&rule]));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = Driver::new(timeout).run(&mut client);
    (sim, out)
}

/// The list completed exactly once, and the simulator saw one extra request per fault.
fn assert_survived(sim: &Sim, out: &Outcome, fired: u64) {
    out.assert_complete("Identifier", DEVICES);
    assert_eq!(out.pages.len() as u64, DEVICE_PAGES);
    let stats = sim.stats();
    assert_eq!(
        counter(&stats, "vsax GET devices", "requests"),
        DEVICE_PAGES + fired,
        "{:?}",
        requests_by_endpoint(&stats)
    );
    assert_eq!(counter(&stats, "vsax GET devices", "faults"), fired);
    assert_eq!(out.sent() as u64, DEVICE_PAGES + fired);
    assert_eq!(out.done[0].1 as u64, DEVICE_PAGES + fired, "requests_made");
}

/// Lists the devices through the fault `spec` (2 s client timeout) and checks the list
/// survived `fired` faults.
fn survive(spec: &str, fired: u64) -> Outcome {
    let (sim, out) = devices_with(spec, Duration::from_secs(2));
    assert_survived(&sim, &out, fired);
    out
}

/// The gap between each answer with `status` and the next request.
fn gaps_after(out: &Outcome, status: u16) -> Vec<u64> {
    out.exchanges
        .windows(2)
        .filter(|w| w[0].status == Some(status))
        .map(|w| w[1].sent_ms - w[0].answered_ms)
        .collect()
}

/// How many requests got no response and why.
fn transport_failures(out: &Outcome) -> Vec<TransportErrorKind> {
    out.exchanges.iter().filter_map(|e| e.transport).collect()
}

#[test]
fn survives_503_with_an_html_body() {
    let out = survive(
        r#""kind":"status","status":503,"body":"html","at":[2,4,5]"#,
        3,
    );
    assert_eq!(out.answered(503), 3);
}

#[test]
fn survives_502_twice_in_a_row() {
    let out = survive(
        r#""kind":"status","status":502,"body":"empty","at":[2,3,6]"#,
        3,
    );
    assert_eq!(out.answered(502), 3);
}

#[test]
fn survives_429_and_waits_the_retry_after_seconds() {
    let spec = r#""kind":"rate_limit","seconds":1,"retry_after":"seconds","at":[2,4]"#;
    let gaps = gaps_after(&survive(spec, 2), 429);
    assert_eq!(gaps.len(), 2);
    let honoured = gaps.iter().all(|g| *g >= 1000);
    assert!(honoured, "Retry-After: 1 honoured: {gaps:?}");
}

#[test]
fn survives_429_and_waits_the_retry_after_date() {
    let spec = r#""kind":"rate_limit","seconds":1,"retry_after":"date","at":[3]"#;
    let gaps = gaps_after(&survive(spec, 1), 429);
    // The date is 2 s after the server's clock, both in whole seconds.
    let honoured = gaps.len() == 1 && gaps[0] >= 1000;
    assert!(honoured, "Retry-After date honoured: {gaps:?}");
}

#[test]
fn survives_truncated_json() {
    survive(r#""kind":"truncate","at":[2,3,5]"#, 3);
}

#[test]
fn survives_a_connection_cut_mid_body() {
    let out = survive(r#""kind":"truncate","connection":true,"at":[2,4]"#, 2);
    assert_eq!(transport_failures(&out), [TransportErrorKind::Other; 2]);
}

#[test]
fn survives_connection_resets() {
    let out = survive(r#""kind":"reset","at":[1,3,4]"#, 3);
    assert_eq!(transport_failures(&out).len(), 3);
}

#[test]
fn survives_answers_slower_than_the_client_timeout() {
    let spec = r#""kind":"slow","delay_ms":1000,"at":[2,4]"#;
    let (sim, out) = devices_with(spec, Duration::from_millis(400));
    // The slow answers finish on the server after the client gave up on them.
    std::thread::sleep(Duration::from_millis(1100));
    assert_survived(&sim, &out, 2);
    assert_eq!(transport_failures(&out), [TransportErrorKind::Timeout; 2]);
}

/// A simulator with `counts` and the JSON fault `rules`.
fn with_rules(counts: &[(&str, usize)], rules: &[String]) -> Sim {
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    Sim::start(config(counts, &[], &rules))
}

#[test]
fn every_vendor_survives_a_mix_of_faults() {
    // Five faults on the list's requests 2, 4, 6, 8 and 9 (two in a row at the end). A
    // rule counts only the requests that reach it (an earlier rule that fires takes the
    // request), hence the positions 2, 3, 4, 5, 5. `extra` is one more rule.
    let mix = |vendor: &str, path: &str, extra: &str| {
        let rule = |spec: &str| format!(r#"{{"vendor":"{vendor}","path":"{path}",{spec}}}"#);
        let mut rules = vec![
            rule(r#""kind":"status","status":503,"body":"html","at":[2]"#),
            rule(r#""kind":"reset","at":[3]"#),
            rule(r#""kind":"truncate","at":[4]"#),
            rule(r#""kind":"truncate","connection":true,"at":[5]"#),
            rule(r#""kind":"status","status":502,"at":[5]"#),
        ];
        rules.extend((!extra.is_empty()).then(|| extra.to_string()));
        rules
    };
    // VSA 9: faults on the list and a 503 on the first logon.
    let logon_503 =
        r#"{"vendor":"vsa9","path":"/auth","kind":"status","status":503,"body":"html","at":[1]}"#;
    let sim = with_rules(
        &[("vsa9.agents", 430)],
        &mix("vsa9", "assetmgmt/agents", logon_503),
    );
    let client = vsa9(&sim, Vsa9Auth::Pat, fast_pacing());
    let out = list(client, "assetmgmt/agents", &ListOptions::default());
    out.assert_complete("AgentId", 430);
    let stats = sim.stats();
    assert_eq!(vendor_counter(&stats, "vsa9", "faults"), 6);
    assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 2);
    let agents = counter(&stats, "vsa9 GET assetmgmt/agents", "requests");
    assert_eq!(agents, 5 + 5);

    // Data Warehouse: 250 agents in pages of 50.
    let sim = with_rules(&[("vsa9.agents", 250)], &mix("warehouse", "Agents", ""));
    let out = list(warehouse(&sim), "Agents", &pages_of(50));
    out.assert_complete("AgentId", 250);
    let stats = sim.stats();
    assert_eq!(vendor_counter(&stats, "warehouse", "faults"), 5);
    assert_eq!(vendor_counter(&stats, "warehouse", "requests"), 5 + 5);

    // Autotask: the query POSTs (which read, so they are repeated) and zone discovery.
    let zone_503 =
        r#"{"vendor":"autotask","path":"zoneInformation","kind":"status","status":503,"at":[1]}"#;
    for mode in [AutotaskPaging::NextLink, AutotaskPaging::Keyset] {
        let rules = mix("autotask", "Companies/query", zone_503);
        let sim = with_rules(&[("autotask.companies", 1234)], &rules);
        let options = ClientOptions {
            autotask_paging: mode,
            ..fast()
        };
        let out = list(autotask(&sim, options), "Companies", &pages_of(200));
        out.assert_complete("id", 1234);
        let stats = sim.stats();
        assert_eq!(vendor_counter(&stats, "autotask", "faults"), 6, "{mode:?}");
        let requests = |endpoint: &str| counter(&stats, endpoint, "requests");
        let queries = requests("autotask POST V1.0/Companies/query")
            + requests("autotask POST V1.0/Companies/query/next");
        assert_eq!(queries, 7 + 5, "{mode:?}: 7 pages and 5 faults");
        assert_eq!(requests("autotask GET V1.0/zoneInformation"), 2);
    }
}

/// Lists `resource` with a rule on `(vendor, path)` that points the second answer's next
/// link at `foreign`; checks the list failed there, sending nothing after the link.
fn stops_at_a_foreign_link(
    foreign: &NotFoundServer,
    (vendor, path): (&str, &str),
    count: (&str, usize),
    resource: &str,
    options: &ListOptions,
) -> Outcome {
    let rule = format!(
        r#"{{"vendor":"{vendor}","path":"{path}","kind":"foreign_next_link","origin":"{}","at":[2]}}"#,
        foreign.origin
    );
    let sim = Sim::start(config(&[count], &[], &[&rule]));
    let client = match vendor {
        "vsax" => vsax(&sim, fast_pacing()),
        "warehouse" => warehouse(&sim),
        _ => autotask(&sim, fast()),
    };
    let out = list(client, resource, options);
    let (_, error, requests) = out.failure();
    assert_eq!(error.code(), ErrorCode::UnsafeLink, "{vendor}: {error:?}");
    assert_eq!(out.pages.len(), 1, "{vendor}: the page before is kept");
    let origin = sim.origin();
    let at_home = out.exchanges.iter().all(|e| e.url.starts_with(&origin));
    assert!(at_home, "{vendor}");
    let sent = out.sent();
    assert_eq!(
        *requests as usize, sent,
        "{vendor}: nothing sent after the link"
    );
    out
}

#[test]
fn a_next_link_to_another_origin_is_never_followed() {
    let foreign = NotFoundServer::start();
    let vsax = stops_at_a_foreign_link(
        &foreign,
        ("vsax", "devices"),
        ("vsax.devices", 5200),
        "devices",
        &ListOptions::default(),
    );
    assert_eq!(vsax.sent(), 2);
    let warehouse = stops_at_a_foreign_link(
        &foreign,
        ("warehouse", "Agents"),
        ("vsa9.agents", 250),
        "Agents",
        &pages_of(50),
    );
    assert_eq!(warehouse.sent(), 2);
    stops_at_a_foreign_link(
        &foreign,
        ("autotask", "Companies/query"),
        ("autotask.companies", 1234),
        "Companies",
        &ListOptions::default(),
    );
    assert_eq!(foreign.hits(), 0, "nothing reached the foreign origin");
}
