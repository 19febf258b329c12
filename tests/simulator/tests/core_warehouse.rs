//! The real core against the simulated VSA 9 Data Warehouse (OData v4): connection tests,
//! server-driven paging through @odata.nextLink, and resuming from a cursor.

mod host;

use std::time::Duration;

use host::*;
use mspkit_core::{Client, ErrorCode, Event, ListOptions};

fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

#[test]
fn connection_test_reads_one_agent() {
    let sim = start(config(&[], &[], &[]));
    let mut client = warehouse(&sim, fast_pacing());
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        report.organization_count, None,
        "the warehouse has no org count"
    );
    assert_eq!(report.message, "Connected to Kaseya VSA 9 Data Warehouse");
    assert_eq!(report.requests_made, 1);
    assert_eq!(counter(&stats(&sim), "warehouse GET Agents", "requests"), 1);
}

#[test]
fn a_wrong_token_fails_unauthorized_after_exactly_one_request() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsa9_warehouse(
        &sim.origin(),
        text(&c, "/vsa9/username"),
        "wrong",
        options(fast_pacing()),
    )
    .unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(
        report.error.as_ref().unwrap().code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(report.requests_made, 1);
    let stats = stats(&sim);
    assert_eq!(vendor_counter(&stats, "warehouse", "requests"), 1);
    assert_eq!(counter(&stats, "warehouse GET Agents", "status_4xx"), 1);
}

#[test]
fn a_token_without_the_warehouse_scope_is_forbidden() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsa9_warehouse(
        &sim.origin(),
        text(&c, "/vsa9/limited/username"),
        text(&c, "/vsa9/limited/token"),
        options(fast_pacing()),
    )
    .unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::Forbidden);
    assert_eq!(report.requests_made, 1);
    assert_eq!(vendor_counter(&stats(&sim), "warehouse", "requests"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    let mut client =
        Client::vsa9_warehouse(&dead_origin(), "user", "token", options(fast_pacing())).unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::Transport);
    assert_eq!(report.requests_made, fast_retry().max_attempts);

    let web = NotFoundServer::start();
    let mut client =
        Client::vsa9_warehouse(&web.origin, "user", "token", options(fast_pacing())).unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::NotFound);
    assert_eq!(report.requests_made, 1);
    assert_eq!(web.hits(), 1);
}

#[test]
fn agents_follow_next_links_with_the_client_page_size() {
    let sim = start(config(&[("vsa9.agents", 250)], &[], &[]));
    let mut client = warehouse(&sim, fast_pacing());
    let options = ListOptions {
        page_size: Some(40),
        ..ListOptions::default()
    };
    client.start_list("Agents", &options).unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("AgentId"), 250);
    assert_eq!(
        out.pages.iter().map(|p| p.count).collect::<Vec<_>>(),
        [40, 40, 40, 40, 40, 40, 10]
    );
    assert!(out.exchanges[1..]
        .iter()
        .all(|e| e.url.contains("$skiptoken=")));
    assert_eq!(counter(&stats(&sim), "warehouse GET Agents", "requests"), 7);
}

#[test]
fn agents_follow_the_servers_own_page_size() {
    let mut cfg = config(&[("vsa9.agents", 250)], &[], &[]);
    cfg.warehouse_page_size = 60;
    let sim = start(cfg);
    let mut client = warehouse(&sim, fast_pacing());
    let options = ListOptions {
        fields: Some(vec!["AgentId".into(), "ComputerName".into()]),
        ..ListOptions::default()
    };
    client.start_list("Agents", &options).unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("AgentId"), 250);
    assert_eq!(out.pages.len(), 5);
    assert!(out.items.iter().all(|i| i.as_object().unwrap().len() == 2));
    assert!(out.exchanges.iter().all(|e| e.url.contains("$select=")));
}

#[test]
fn a_cursor_resumes_on_the_next_link() {
    let sim = start(config(&[("vsa9.agents", 250)], &[], &[]));
    let options = ListOptions {
        page_size: Some(30),
        ..ListOptions::default()
    };
    let mut first = warehouse(&sim, fast_pacing());
    first.start_list("Agents", &options).unwrap();
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, Event::Page(p) if p.page_number == 4),
    );
    drop(first);
    let mut second = warehouse(&sim, fast_pacing());
    let resume = ListOptions {
        cursor: Some(part.last_cursor()),
        ..options
    };
    second.start_list("Agents", &resume).unwrap();
    let rest = driver().run(&mut second);
    assert!(rest.failed.is_empty(), "{:?}", rest.failed);
    let mut all = part.ids("AgentId");
    all.extend(rest.ids("AgentId"));
    assert_exactly_once(&all, 250);
    assert_eq!(rest.pages.first().map(|p| p.number), Some(5));
    assert_eq!(counter(&stats(&sim), "warehouse GET Agents", "requests"), 9);
}
