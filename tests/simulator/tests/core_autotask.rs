//! The real core against the simulated Autotask PSA: zone discovery, connection tests,
//! Companies past 500 records with nextPageUrl and with keyset paging, and resuming.

mod common;
mod host;

use common::*;
use host::*;
use mspkit_core::{AutotaskPaging, Client, ClientOptions, ErrorCode, Filter, ListOptions};
use serde_json::json;

fn paging(mode: AutotaskPaging) -> ClientOptions {
    ClientOptions {
        autotask_paging: mode,
        ..fast()
    }
}

const ZONE_INFORMATION: &str = "autotask GET V1.0/zoneInformation";
const COUNT: &str = "autotask POST V1.0/Companies/query/count";

#[test]
fn connection_test_discovers_the_zone_then_counts_companies() {
    let sim = Sim::start(small(&[("autotask.companies", 37)]));
    let out = connect(autotask(&sim, fast()));
    let message = "Connected to Autotask PSA: 37 companies";
    let requests = 2; // zoneInformation, then query/count
    assert_eq!(out.connected(), (Some(37), message, requests));
    let zone = format!("{}/ATServicesRest/V1.0/", sim.origin());
    assert_eq!(out.report().base_url.as_deref(), Some(zone.as_str()));
    let stats = sim.stats();
    assert_eq!(counter(&stats, ZONE_INFORMATION, "requests"), 1);
    assert_eq!(counter(&stats, COUNT, "requests"), 1);
}

#[test]
fn a_wrong_secret_fails_unauthorized_after_one_api_request() {
    let sim = Sim::small();
    let (user, _, code) = sim.autotask_creds();
    let wrong = (user, "wrong-secret", code);
    // Discovering the zone: zoneInformation, then one API request. The zone is fresh, so
    // the 401 is final (no second discovery).
    let discovered = connect(autotask_as(&sim, wrong, None));
    assert_eq!(discovered.refusal(), (ErrorCode::Unauthorized, 2));
    // With the zone configured: exactly one request.
    let zone = sim.cred("autotask", "zone_url");
    let configured = connect(autotask_as(&sim, wrong, Some(zone)));
    assert_eq!(configured.refusal(), (ErrorCode::Unauthorized, 1));
    let stats = sim.stats();
    assert_eq!(counter(&stats, ZONE_INFORMATION, "requests"), 1);
    assert_eq!(counter(&stats, COUNT, "requests"), 2);
    assert_eq!(vendor_counter(&stats, "autotask", "requests"), 3);
}

#[test]
fn client_mistakes_answered_with_500_are_not_retried() {
    let sim = Sim::small();
    let (user, secret, code) = sim.autotask_creds();
    let limited = &sim.run.sim.credentials.autotask.limited;
    for (why, creds, refusal) in [
        // Zone discovery answers 500 "Zone information could not be determined".
        (
            "unknown user",
            ("nobody@example.invalid", secret, code),
            (ErrorCode::Unauthorized, 1),
        ),
        // 500 "IntegrationCode is invalid."
        (
            "wrong integration code",
            (user, secret, "WRONGCODE"),
            (ErrorCode::Unauthorized, 2),
        ),
        // The limited user lacks Companies: 500 "does not have the adequate permissions".
        (
            "limited user",
            (&limited.username, &limited.secret, code),
            (ErrorCode::Forbidden, 2),
        ),
    ] {
        let out = connect(autotask_as(&sim, creds, None));
        assert_eq!(out.refusal(), refusal, "{why}");
    }
    let stats = sim.stats();
    assert_eq!(vendor_counter(&stats, "autotask", "requests"), 5);
    assert_eq!(vendor_counter(&stats, "autotask", "status_5xx"), 3);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    let sim = Sim::small();
    let (user, secret, code) = sim.autotask_creds();
    let with_discovery = |url: String| {
        let options = ClientOptions {
            zone_discovery_url: Some(url),
            ..fast()
        };
        Client::autotask(user, secret, code, None, None, options).unwrap()
    };
    // Zone discovery on a port with nothing listening.
    let dead = format!("{}/ATServicesRest/V1.0/zoneInformation", dead_origin());
    let attempts = fast_retry().max_attempts;
    let out = connect(with_discovery(dead));
    assert_eq!(out.refusal(), (ErrorCode::Transport, attempts));
    // V2.0 zoneInformation is a 404 (VENDORS.md: pin V1.0).
    let v2 = format!("{}/ATServicesRest/V2.0/zoneInformation", sim.origin());
    let out = connect(with_discovery(v2));
    assert_eq!(out.refusal(), (ErrorCode::NotFound, 1));
    // A configured zone under a path that is not the API.
    let zone = format!("{}/wrong/ATServicesRest/", sim.origin());
    let out = connect(autotask_as(&sim, sim.autotask_creds(), Some(&zone)));
    assert_eq!(out.refusal(), (ErrorCode::NotFound, 1));
}

fn companies_list(mode: AutotaskPaging) {
    let sim = Sim::start(small(&[("autotask.companies", 1234)]));
    let client = autotask(&sim, paging(mode));
    let out = list(client, "Companies", &ListOptions::default());
    out.assert_complete("id", 1234);
    let counts: Vec<usize> = out.pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, [500, 500, 234], "{mode:?}");
    let stats = sim.stats();
    let requests = |endpoint: &str| counter(&stats, endpoint, "requests");
    let first = requests("autotask POST V1.0/Companies/query");
    let next = requests("autotask POST V1.0/Companies/query/next");
    let readings = requests("autotask GET V1.0/ThresholdInformation");
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
    let sim = Sim::start(small(&[("autotask.companies", 1100)]));
    let data = sim.run.sim.data();
    let id = |c: &&mspkit_sim::data::Record| c.get("id").and_then(serde_json::Value::as_i64);
    let below_700 = |c: &&mspkit_sim::data::Record| id(c).is_some_and(|id| id < 700);
    let expected = data.autotask.companies.iter().filter(below_700).count();
    let options = ListOptions {
        filter: Some(Filter::Autotask(
            json!([{"op": "lt", "field": "id", "value": 700}]),
        )),
        fields: Some(vec!["companyName".into()]),
        page_size: Some(200),
        ..ListOptions::default()
    };
    let out = list(autotask(&sim, fast()), "Companies", &options);
    out.assert_complete("id", expected);
    assert!(out
        .items
        .iter()
        .all(|i| i.as_object().unwrap().len() == 2 && i["companyName"].is_string()));
}

fn resume_companies(mode: AutotaskPaging) {
    let sim = Sim::start(small(&[("autotask.companies", 1234)]));
    let (first, second) = (autotask(&sim, paging(mode)), autotask(&sim, paging(mode)));
    let (part, rest) = resume(first, second, "Companies", &ListOptions::default(), 2);
    assert_resumed(&part, &rest, "id", 1234);
    let pages: Vec<(u32, usize)> = rest.pages.iter().map(|p| (p.number, p.count)).collect();
    assert_eq!(pages, [(3, 234)], "{mode:?}");
}

#[test]
fn a_cursor_resumes_with_next_page_links() {
    resume_companies(AutotaskPaging::NextLink);
}

#[test]
fn a_cursor_resumes_with_keyset_paging() {
    resume_companies(AutotaskPaging::Keyset);
}
