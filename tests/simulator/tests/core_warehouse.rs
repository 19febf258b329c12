//! The real core against the simulated VSA 9 Data Warehouse (OData v4): connection tests,
//! server-driven paging through @odata.nextLink, and resuming from a cursor.

mod common;
mod host;

use common::*;
use host::*;
use mspkit_core::{ErrorCode, ListOptions};

fn agents_requests(sim: &Sim) -> u64 {
    counter(&sim.stats(), "warehouse GET Agents", "requests")
}

#[test]
fn connection_test_reads_one_agent() {
    let sim = Sim::small();
    let out = connect(warehouse(&sim));
    let message = "Connected to Kaseya VSA 9 Data Warehouse";
    // The warehouse has no organisation count.
    assert_eq!(out.connected(), (None, message, 1));
    assert_eq!(agents_requests(&sim), 1);
}

#[test]
fn a_wrong_token_fails_unauthorized_after_exactly_one_request() {
    let sim = Sim::small();
    let user = sim.cred("vsa9", "username");
    let out = connect(warehouse_as(&sim.origin(), user, "wrong"));
    assert_eq!(out.refusal(), (ErrorCode::Unauthorized, 1));
    let stats = sim.stats();
    assert_eq!(vendor_counter(&stats, "warehouse", "requests"), 1);
    assert_eq!(counter(&stats, "warehouse GET Agents", "status_4xx"), 1);
}

#[test]
fn a_token_without_the_warehouse_scope_is_forbidden() {
    let sim = Sim::small();
    let limited = &sim.run.sim.credentials.vsa9.limited;
    let client = warehouse_as(&sim.origin(), &limited.username, &limited.token);
    assert_eq!(connect(client).refusal(), (ErrorCode::Forbidden, 1));
    assert_eq!(vendor_counter(&sim.stats(), "warehouse", "requests"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    assert_wrong_urls_fail(|origin| warehouse_as(origin, "user", "token"));
}

#[test]
fn agents_follow_next_links_with_the_client_page_size() {
    let sim = Sim::start(small(&[("vsa9.agents", 250)]));
    let out = list(warehouse(&sim), "Agents", &pages_of(40));
    out.assert_complete("AgentId", 250);
    let counts: Vec<usize> = out.pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, [40, 40, 40, 40, 40, 40, 10]);
    assert!(out.exchanges[1..]
        .iter()
        .all(|e| e.url.contains("$skiptoken=")));
    assert_eq!(agents_requests(&sim), 7);
}

#[test]
fn agents_follow_the_servers_own_page_size() {
    let mut cfg = small(&[("vsa9.agents", 250)]);
    cfg.warehouse_page_size = 60;
    let sim = Sim::start(cfg);
    let two_fields = ListOptions {
        fields: Some(vec!["AgentId".into(), "ComputerName".into()]),
        ..ListOptions::default()
    };
    let out = list(warehouse(&sim), "Agents", &two_fields);
    out.assert_complete("AgentId", 250);
    assert_eq!(out.pages.len(), 5);
    assert!(out.items.iter().all(|i| i.as_object().unwrap().len() == 2));
    assert!(out.exchanges.iter().all(|e| e.url.contains("$select=")));
}

#[test]
fn a_cursor_resumes_on_the_next_link() {
    let sim = Sim::start(small(&[("vsa9.agents", 250)]));
    let (first, second) = (warehouse(&sim), warehouse(&sim));
    let (part, rest) = resume(first, second, "Agents", &pages_of(30), 4);
    assert_resumed(&part, &rest, "AgentId", 250);
    assert_eq!(rest.pages.first().map(|p| p.number), Some(5));
    assert_eq!(agents_requests(&sim), 9);
}
