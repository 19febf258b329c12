//! The real core against the simulated Kaseya VSA X: connection tests, full lists (with
//! $skip and with NextQueryLink past 5,000 results) and resuming from a cursor.

mod host;

use std::time::Duration;

use host::*;
use mspkit_core::{Client, ErrorCode, ListOptions};

fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

#[test]
fn connection_test_reports_the_organization_count() {
    let sim = start(config(&[("vsax.organizations", 7)], &[], &[]));
    let mut client = vsax(&sim, fast_pacing());
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(7));
    assert_eq!(report.message, "Connected to Kaseya VSA X: 7 organizations");
    assert_eq!(report.requests_made, 1);
    assert_eq!(
        report.base_url.as_deref(),
        Some(format!("{}/api/v3/", sim.origin()).as_str())
    );
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsax GET organizations", "requests"), 1);
}

#[test]
fn a_wrong_secret_fails_unauthorized_after_exactly_one_request() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsax(
        &sim.origin(),
        text(&c, "/vsax/token_id"),
        "not-the-secret",
        options(fast_pacing()),
    )
    .unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(!report.ok);
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert!(!report.message.contains("not-the-secret"));
    assert_eq!(report.requests_made, 1);
    let stats = stats(&sim);
    assert_eq!(vendor_counter(&stats, "vsax", "requests"), 1);
    assert_eq!(counter(&stats, "vsax GET organizations", "status_4xx"), 1);
}

#[test]
fn a_limited_token_is_forbidden() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsax(
        &sim.origin(),
        text(&c, "/vsax/limited/token_id"),
        text(&c, "/vsax/limited/token_secret"),
        options(fast_pacing()),
    )
    .unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(!report.ok);
    assert_eq!(
        report.error.as_ref().unwrap().code(),
        ErrorCode::Forbidden,
        "{report:?}"
    );
    assert_eq!(report.requests_made, 1);
    assert_eq!(vendor_counter(&stats(&sim), "vsax", "requests"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    // Nothing listening: a transport failure, retried within the retry policy.
    let mut client = Client::vsax(&dead_origin(), "id", "secret", options(fast_pacing())).unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(!report.ok);
    assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::Transport);
    assert_eq!(report.requests_made, fast_retry().max_attempts);

    // A web server that is not VSA X: 404, not retried.
    let web = NotFoundServer::start();
    let mut client = Client::vsax(&web.origin, "id", "secret", options(fast_pacing())).unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.code(), ErrorCode::NotFound);
    assert_eq!(error.vendor_message(), Some("404 Not Found"));
    assert_eq!(report.requests_made, 1);
    assert_eq!(web.hits(), 1);
}

#[test]
fn devices_list_pages_by_skip_exactly_once() {
    let sim = start(config(&[("vsax.devices", 250)], &[], &[]));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("Identifier"), 250);
    let counts: Vec<usize> = out.pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, [100, 100, 50]);
    assert!(out.pages.iter().all(|p| p.total == Some(250)));
    assert_eq!(out.done, [(1, 3, 250)]);
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 3);
    assert_eq!(counter(&stats, "vsax GET devices", "status_2xx"), 3);
}

#[test]
fn a_list_over_5000_follows_next_query_link() {
    let sim = start(config(&[("vsax.devices", 5200)], &[], &[]));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("Identifier"), 5200);
    assert_eq!(out.pages.len(), 52);
    assert!(
        out.exchanges[1..]
            .iter()
            .all(|e| e.url.contains("$skiptoken=")),
        "every page after the first comes from NextQueryLink"
    );
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsax GET devices", "requests"), 52);
    assert_eq!(counter(&stats, "vsax GET devices", "status_4xx"), 0);
}

#[test]
fn a_cursor_resumes_a_skip_list_after_its_page() {
    let sim = start(config(&[("vsax.devices", 430)], &[], &[]));
    let mut first = vsax(&sim, fast_pacing());
    first
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, mspkit_core::Event::Page(p) if p.page_number == 2),
    );
    assert!(part.stopped);
    drop(first);
    let mut second = vsax(&sim, fast_pacing());
    let resume = ListOptions {
        cursor: Some(part.last_cursor()),
        ..ListOptions::default()
    };
    second.start_list("devices", &resume).unwrap();
    let rest = driver().run(&mut second);
    assert_eq!(
        rest.pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    let mut all = part.ids("Identifier");
    all.extend(rest.ids("Identifier"));
    assert_exactly_once(&all, 430);
    assert_eq!(
        counter(&stats(&sim), "vsax GET devices", "requests"),
        5,
        "no page fetched twice"
    );
}

#[test]
fn a_cursor_resumes_a_next_query_link_list() {
    let sim = start(config(&[("vsax.devices", 5200)], &[], &[]));
    let mut first = vsax(&sim, fast_pacing());
    first
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, mspkit_core::Event::Page(p) if p.page_number == 50),
    );
    drop(first);
    let mut second = vsax(&sim, fast_pacing());
    let resume = ListOptions {
        cursor: Some(part.last_cursor()),
        ..ListOptions::default()
    };
    second.start_list("devices", &resume).unwrap();
    let rest = driver().run(&mut second);
    assert!(rest.failed.is_empty(), "{:?}", rest.failed);
    assert_eq!(rest.pages.len(), 2);
    assert!(rest.exchanges[0].url.contains("$skiptoken=5000"));
    let mut all = part.ids("Identifier");
    all.extend(rest.ids("Identifier"));
    assert_exactly_once(&all, 5200);
    assert_eq!(counter(&stats(&sim), "vsax GET devices", "requests"), 52);
}

#[test]
fn the_last_cursor_resumes_to_nothing() {
    let sim = start(config(&[("vsax.devices", 150)], &[], &[]));
    let mut client = vsax(&sim, fast_pacing());
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let out = driver().run(&mut client);
    assert_exactly_once(&out.ids("Identifier"), 150);
    let mut again = vsax(&sim, fast_pacing());
    let resume = ListOptions {
        cursor: Some(out.last_cursor()),
        ..ListOptions::default()
    };
    again.start_list("devices", &resume).unwrap();
    let rest = driver().run(&mut again);
    assert!(rest.items.is_empty() && rest.exchanges.is_empty());
    assert_eq!(rest.done.len(), 1);
}
