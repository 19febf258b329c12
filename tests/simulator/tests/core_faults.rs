//! Injected faults that a sync must survive with exact counts (5xx pages from proxies,
//! 429 with Retry-After, truncated bodies, cut and reset connections, slow answers beyond
//! the client timeout), and next-page links to another origin, which must never be
//! followed.

mod host;

use std::time::Duration;

use host::*;
use mspkit_core::{
    AutotaskPaging, ClientOptions, ErrorCode, ListOptions, TransportErrorKind, Vsa9Auth,
};
use mspkit_sim::Running;

/// VSA X devices: 430 records, 5 pages of 100.
const DEVICES: usize = 430;
const DEVICE_PAGES: u64 = 5;

/// Lists every device with `faults` injected on the devices endpoint.
fn devices_with(faults: &[&str], timeout: Duration) -> (Running, Outcome) {
    let sim = start(config(&[("vsax.devices", DEVICES)], &[], faults));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = Driver::new(timeout).run(&mut client);
    (sim, out)
}

/// The list completed exactly once, and the simulator saw one extra request per fault.
fn assert_survived(sim: &Running, out: &Outcome, fired: u64) {
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("Identifier"), DEVICES);
    assert_eq!(out.pages.len() as u64, DEVICE_PAGES);
    let stats = stats(sim);
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

/// The gap between each answer with `status` and the next request.
fn gaps_after(out: &Outcome, status: u16) -> Vec<u64> {
    out.exchanges
        .windows(2)
        .filter(|w| w[0].status == Some(status))
        .map(|w| w[1].sent_ms - w[0].answered_ms)
        .collect()
}

#[test]
fn survives_503_with_an_html_body() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"status","status":503,"body":"html","at":[2,4,5]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 3);
    assert_eq!(out.answered(503), 3);
}

#[test]
fn survives_502_twice_in_a_row() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"status","status":502,"body":"empty","at":[2,3,6]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 3);
    assert_eq!(out.answered(502), 3);
}

#[test]
fn survives_429_and_waits_the_retry_after_seconds() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"rate_limit","seconds":1,"retry_after":"seconds","at":[2,4]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 2);
    let gaps = gaps_after(&out, 429);
    assert_eq!(gaps.len(), 2);
    assert!(
        gaps.iter().all(|g| *g >= 1000),
        "Retry-After: 1 honoured: {gaps:?}"
    );
}

#[test]
fn survives_429_and_waits_the_retry_after_date() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"rate_limit","seconds":1,"retry_after":"date","at":[3]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 1);
    let gaps = gaps_after(&out, 429);
    // The date is 2 s after the server's clock, both in whole seconds.
    assert!(
        gaps.len() == 1 && gaps[0] >= 1000,
        "Retry-After date honoured: {gaps:?}"
    );
}

#[test]
fn survives_truncated_json() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"truncate","at":[2,3,5]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 3);
}

#[test]
fn survives_a_connection_cut_mid_body() {
    let rule =
        r#"{"vendor":"vsax","path":"devices","kind":"truncate","connection":true,"at":[2,4]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 2);
    let failed: Vec<_> = out.exchanges.iter().filter_map(|e| e.transport).collect();
    assert_eq!(failed, [TransportErrorKind::Other; 2]);
}

#[test]
fn survives_connection_resets() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"reset","at":[1,3,4]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_secs(2));
    assert_survived(&sim, &out, 3);
    assert_eq!(
        out.exchanges
            .iter()
            .filter(|e| e.transport.is_some())
            .count(),
        3
    );
}

#[test]
fn survives_answers_slower_than_the_client_timeout() {
    let rule = r#"{"vendor":"vsax","path":"devices","kind":"slow","delay_ms":1000,"at":[2,4]}"#;
    let (sim, out) = devices_with(&[rule], Duration::from_millis(400));
    // The slow answers finish on the server after the client gave up on them.
    std::thread::sleep(Duration::from_millis(1100));
    assert_survived(&sim, &out, 2);
    let timeouts = out
        .exchanges
        .iter()
        .filter(|e| e.transport == Some(TransportErrorKind::Timeout))
        .count();
    assert_eq!(timeouts, 2);
}

#[test]
fn every_vendor_survives_a_mix_of_faults() {
    // Five faults on the list's requests 2, 4, 6, 8 and 9 (two in a row at the end). A
    // rule counts only the requests that reach it (an earlier rule that fires takes the
    // request), hence the positions 2, 3, 4, 5, 5.
    let mix = |vendor: &str, path: &str| {
        [
            format!(
                r#"{{"vendor":"{vendor}","path":"{path}","kind":"status","status":503,"body":"html","at":[2]}}"#
            ),
            format!(r#"{{"vendor":"{vendor}","path":"{path}","kind":"reset","at":[3]}}"#),
            format!(r#"{{"vendor":"{vendor}","path":"{path}","kind":"truncate","at":[4]}}"#),
            format!(
                r#"{{"vendor":"{vendor}","path":"{path}","kind":"truncate","connection":true,"at":[5]}}"#
            ),
            format!(
                r#"{{"vendor":"{vendor}","path":"{path}","kind":"status","status":502,"at":[5]}}"#
            ),
        ]
    };
    // VSA 9: faults on the list and a 503 on the first logon.
    {
        let mut rules = mix("vsa9", "assetmgmt/agents").to_vec();
        rules.push(
            r#"{"vendor":"vsa9","path":"/auth","kind":"status","status":503,"body":"html","at":[1]}"#
                .into(),
        );
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        let sim = start(config(&[("vsa9.agents", 430)], &[], &rules));
        let mut client = vsa9(&sim, Vsa9Auth::Pat, fast_pacing());
        client
            .start_list("assetmgmt/agents", &ListOptions::default())
            .unwrap();
        let out = Driver::new(Duration::from_secs(2)).run(&mut client);
        assert!(out.failed.is_empty(), "vsa9: {:?}", out.failed);
        assert_exactly_once(&out.ids("AgentId"), 430);
        let stats = stats(&sim);
        assert_eq!(vendor_counter(&stats, "vsa9", "faults"), 6);
        assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 2);
        assert_eq!(
            counter(&stats, "vsa9 GET assetmgmt/agents", "requests"),
            5 + 5
        );
    }
    // Data Warehouse: 250 agents in pages of 50.
    {
        let rules = mix("warehouse", "Agents");
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        let sim = start(config(&[("vsa9.agents", 250)], &[], &rules));
        let mut client = warehouse(&sim, fast_pacing());
        let options = ListOptions {
            page_size: Some(50),
            ..ListOptions::default()
        };
        client.start_list("Agents", &options).unwrap();
        let out = Driver::new(Duration::from_secs(2)).run(&mut client);
        assert!(out.failed.is_empty(), "warehouse: {:?}", out.failed);
        assert_exactly_once(&out.ids("AgentId"), 250);
        let stats = stats(&sim);
        assert_eq!(vendor_counter(&stats, "warehouse", "faults"), 5);
        assert_eq!(vendor_counter(&stats, "warehouse", "requests"), 5 + 5);
    }
    // Autotask: the query POSTs (which read, so they are repeated) and zone discovery.
    for mode in [AutotaskPaging::NextLink, AutotaskPaging::Keyset] {
        let mut rules = mix("autotask", "Companies/query").to_vec();
        rules.push(
            r#"{"vendor":"autotask","path":"zoneInformation","kind":"status","status":503,"at":[1]}"#
                .into(),
        );
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        let sim = start(config(&[("autotask.companies", 1234)], &[], &rules));
        let options = ClientOptions {
            autotask_paging: mode,
            ..options(fast_pacing())
        };
        let mut client = autotask(&sim, options);
        let list = ListOptions {
            page_size: Some(200),
            ..ListOptions::default()
        };
        client.start_list("Companies", &list).unwrap();
        let out = Driver::new(Duration::from_secs(2)).run(&mut client);
        assert!(out.failed.is_empty(), "autotask {mode:?}: {:?}", out.failed);
        assert_exactly_once(&out.ids("id"), 1234);
        let stats = stats(&sim);
        assert_eq!(vendor_counter(&stats, "autotask", "faults"), 6, "{mode:?}");
        let queries = counter(&stats, "autotask POST V1.0/Companies/query", "requests")
            + counter(
                &stats,
                "autotask POST V1.0/Companies/query/next",
                "requests",
            );
        assert_eq!(queries, 7 + 5, "{mode:?}: 7 pages and 5 faults");
        assert_eq!(
            counter(&stats, "autotask GET V1.0/zoneInformation", "requests"),
            2
        );
    }
}

#[test]
fn a_next_link_to_another_origin_is_never_followed() {
    let foreign = NotFoundServer::start();
    let rule = |vendor: &str, path: &str| {
        format!(
            r#"{{"vendor":"{vendor}","path":"{path}","kind":"foreign_next_link","origin":"{}","at":[2]}}"#,
            foreign.origin
        )
    };
    let check = |sim: &Running, out: &Outcome, vendor: &str| {
        let (_, error, requests) = out.failure();
        assert_eq!(error.code(), ErrorCode::UnsafeLink, "{vendor}: {error:?}");
        assert_eq!(out.pages.len(), 1, "{vendor}: the page before is kept");
        assert!(
            out.exchanges
                .iter()
                .all(|e| e.url.starts_with(&sim.origin())),
            "{vendor}"
        );
        assert_eq!(
            *requests as usize,
            out.sent(),
            "{vendor}: nothing sent after the link"
        );
    };

    let sim = start(config(
        &[("vsax.devices", 5200)],
        &[],
        &[&rule("vsax", "devices")],
    ));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = Driver::new(Duration::from_secs(2)).run(&mut client);
    check(&sim, &out, "vsax");
    assert_eq!(out.sent(), 2);

    let sim = start(config(
        &[("vsa9.agents", 250)],
        &[],
        &[&rule("warehouse", "Agents")],
    ));
    let mut client = warehouse(&sim, fast_pacing());
    let pages_of_50 = ListOptions {
        page_size: Some(50),
        ..ListOptions::default()
    };
    client.start_list("Agents", &pages_of_50).unwrap();
    let out = Driver::new(Duration::from_secs(2)).run(&mut client);
    check(&sim, &out, "warehouse");
    assert_eq!(out.sent(), 2);

    let sim = start(config(
        &[("autotask.companies", 1234)],
        &[],
        &[&rule("autotask", "Companies/query")],
    ));
    let mut client = autotask(&sim, options(fast_pacing()));
    client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let out = Driver::new(Duration::from_secs(2)).run(&mut client);
    check(&sim, &out, "autotask");

    assert_eq!(foreign.hits(), 0, "nothing reached the foreign origin");
}
