//! The real core against the simulated Autotask PSA: zone discovery, connection tests,
//! Companies past 500 records with nextPageUrl and with keyset paging, and resuming.

mod host;

use std::time::Duration;

use host::*;
use mspkit_core::{AutotaskPaging, Client, ClientOptions, ErrorCode, Event, Filter, ListOptions};
use serde_json::json;

fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

fn fast() -> ClientOptions {
    options(fast_pacing())
}

fn paging(mode: AutotaskPaging) -> ClientOptions {
    ClientOptions {
        autotask_paging: mode,
        ..fast()
    }
}

/// An Autotask client with explicit credentials and zone.
fn autotask_with(
    sim: &mspkit_sim::Running,
    username: &str,
    secret: &str,
    integration_code: &str,
    zone_url: Option<&str>,
) -> Client {
    let c = creds(sim);
    let options = ClientOptions {
        zone_discovery_url: Some(text(&c, "/autotask/zone_discovery_url").to_string()),
        ..fast()
    };
    Client::autotask(username, secret, integration_code, zone_url, None, options).unwrap()
}

#[test]
fn connection_test_discovers_the_zone_then_counts_companies() {
    let sim = start(config(&[("autotask.companies", 37)], &[], &[]));
    let mut client = autotask(&sim, fast());
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(37));
    assert_eq!(report.message, "Connected to Autotask PSA: 37 companies");
    assert_eq!(report.requests_made, 2, "zoneInformation, then query/count");
    assert_eq!(
        report.base_url.as_deref(),
        Some(format!("{}/ATServicesRest/V1.0/", sim.origin()).as_str())
    );
    let stats = stats(&sim);
    assert_eq!(
        counter(&stats, "autotask GET V1.0/zoneInformation", "requests"),
        1
    );
    assert_eq!(
        counter(
            &stats,
            "autotask POST V1.0/Companies/query/count",
            "requests"
        ),
        1
    );
}

#[test]
fn a_wrong_secret_fails_unauthorized_after_one_api_request() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let (user, code) = (
        text(&c, "/autotask/username"),
        text(&c, "/autotask/integration_code"),
    );
    // Discovering the zone: zoneInformation, then one API request. The zone is fresh, so
    // the 401 is final (no second discovery).
    let mut client = autotask_with(&sim, user, "wrong-secret", code, None);
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(
        report.error.as_ref().unwrap().code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(report.requests_made, 2);
    // With the zone configured: exactly one request.
    let zone = text(&c, "/autotask/zone_url");
    let mut client = autotask_with(&sim, user, "wrong-secret", code, Some(zone));
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(
        report.error.as_ref().unwrap().code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(report.requests_made, 1);
    let stats = stats(&sim);
    assert_eq!(
        counter(&stats, "autotask GET V1.0/zoneInformation", "requests"),
        1
    );
    assert_eq!(
        counter(
            &stats,
            "autotask POST V1.0/Companies/query/count",
            "requests"
        ),
        2
    );
    assert_eq!(vendor_counter(&stats, "autotask", "requests"), 3);
}

#[test]
fn client_mistakes_answered_with_500_are_not_retried() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let (user, secret, code) = (
        text(&c, "/autotask/username"),
        text(&c, "/autotask/secret"),
        text(&c, "/autotask/integration_code"),
    );
    let run = |client: &mut Client| {
        client.start_test_connection();
        let out = driver().run(client);
        let report = out.report().clone();
        (report.error.unwrap().code(), report.requests_made)
    };
    // Unknown user: zone discovery answers 500 "Zone information could not be determined".
    let mut unknown = autotask_with(&sim, "nobody@example.invalid", secret, code, None);
    assert_eq!(run(&mut unknown), (ErrorCode::Unauthorized, 1));
    // Wrong integration code: 500 "IntegrationCode is invalid."
    let mut bad_code = autotask_with(&sim, user, secret, "WRONGCODE", None);
    assert_eq!(run(&mut bad_code), (ErrorCode::Unauthorized, 2));
    // The limited user lacks Companies: 500 "does not have the adequate permissions".
    let mut limited = autotask_with(
        &sim,
        text(&c, "/autotask/limited/username"),
        text(&c, "/autotask/limited/secret"),
        code,
        None,
    );
    assert_eq!(run(&mut limited), (ErrorCode::Forbidden, 2));
    let stats = stats(&sim);
    assert_eq!(vendor_counter(&stats, "autotask", "requests"), 5);
    assert_eq!(vendor_counter(&stats, "autotask", "status_5xx"), 3);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let (user, secret, code) = (
        text(&c, "/autotask/username"),
        text(&c, "/autotask/secret"),
        text(&c, "/autotask/integration_code"),
    );
    let with_discovery = |url: String| {
        let options = ClientOptions {
            zone_discovery_url: Some(url),
            ..fast()
        };
        Client::autotask(user, secret, code, None, None, options).unwrap()
    };
    let run = |mut client: Client| {
        client.start_test_connection();
        let out = driver().run(&mut client);
        let report = out.report().clone();
        (report.error.unwrap().code(), report.requests_made)
    };
    // Zone discovery on a port with nothing listening.
    let dead = format!("{}/ATServicesRest/V1.0/zoneInformation", dead_origin());
    assert_eq!(
        run(with_discovery(dead)),
        (ErrorCode::Transport, fast_retry().max_attempts)
    );
    // V2.0 zoneInformation is a 404 (VENDORS.md: pin V1.0).
    let v2 = format!("{}/ATServicesRest/V2.0/zoneInformation", sim.origin());
    assert_eq!(run(with_discovery(v2)), (ErrorCode::NotFound, 1));
    // A configured zone under a path that is not the API.
    let zone = format!("{}/wrong/ATServicesRest/", sim.origin());
    let client = autotask_with(&sim, user, secret, code, Some(&zone));
    assert_eq!(run(client), (ErrorCode::NotFound, 1));
}

fn companies_list(mode: AutotaskPaging) {
    let sim = start(config(&[("autotask.companies", 1234)], &[], &[]));
    let mut client = autotask(&sim, paging(mode));
    client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{mode:?}: {:?}", out.failed);
    assert_exactly_once(&out.ids("id"), 1234);
    assert_eq!(
        out.pages.iter().map(|p| p.count).collect::<Vec<_>>(),
        [500, 500, 234]
    );
    let stats = stats(&sim);
    let first = counter(&stats, "autotask POST V1.0/Companies/query", "requests");
    let next = counter(
        &stats,
        "autotask POST V1.0/Companies/query/next",
        "requests",
    );
    let readings = counter(&stats, "autotask GET V1.0/ThresholdInformation", "requests");
    eprintln!(
        "{mode:?}: {} requests by the core: {:?}",
        out.sent(),
        requests_by_endpoint(&stats)
    );
    match mode {
        AutotaskPaging::NextLink => assert_eq!((first, next), (1, 2)),
        AutotaskPaging::Keyset => assert_eq!((first, next), (3, 0)),
    }
    assert_eq!(readings, 1, "one tenant reading once the list is long");
    assert_eq!(out.done, [(1, 1 + 3 + 1, 1234)], "zone + 3 pages + reading");
    assert_eq!(vendor_counter(&stats, "autotask", "status_429"), 0);
}

#[test]
fn companies_past_500_with_next_page_links() {
    companies_list(AutotaskPaging::NextLink);
}

#[test]
fn companies_past_500_with_keyset_paging() {
    companies_list(AutotaskPaging::Keyset);
}

#[test]
fn a_filter_and_fields_narrow_the_list() {
    let sim = start(config(&[("autotask.companies", 1100)], &[], &[]));
    let data = sim.sim.data();
    let expected = data
        .autotask
        .companies
        .iter()
        .filter(|c| {
            c.get("id")
                .and_then(|v| v.as_i64())
                .is_some_and(|id| id < 700)
        })
        .count();
    let mut client = autotask(&sim, fast());
    let options = ListOptions {
        filter: Some(Filter::Autotask(
            json!([{"op": "lt", "field": "id", "value": 700}]),
        )),
        fields: Some(vec!["companyName".into()]),
        page_size: Some(200),
        ..ListOptions::default()
    };
    client.start_list("Companies", &options).unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("id"), expected);
    assert!(out
        .items
        .iter()
        .all(|i| i.as_object().unwrap().len() == 2 && i["companyName"].is_string()));
}

fn resume(mode: AutotaskPaging) {
    let sim = start(config(&[("autotask.companies", 1234)], &[], &[]));
    let mut first = autotask(&sim, paging(mode));
    first
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, Event::Page(p) if p.page_number == 2),
    );
    drop(first);
    let mut second = autotask(&sim, paging(mode));
    let resume = ListOptions {
        cursor: Some(part.last_cursor()),
        ..ListOptions::default()
    };
    second.start_list("Companies", &resume).unwrap();
    let rest = driver().run(&mut second);
    assert!(rest.failed.is_empty(), "{mode:?}: {:?}", rest.failed);
    assert_eq!(
        rest.pages
            .iter()
            .map(|p| (p.number, p.count))
            .collect::<Vec<_>>(),
        [(3, 234)]
    );
    let mut all = part.ids("id");
    all.extend(rest.ids("id"));
    assert_exactly_once(&all, 1234);
}

#[test]
fn a_cursor_resumes_with_next_page_links() {
    resume(AutotaskPaging::NextLink);
}

#[test]
fn a_cursor_resumes_with_keyset_paging() {
    resume(AutotaskPaging::Keyset);
}
