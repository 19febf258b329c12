//! Scripted conversations with a Kaseya VSA 9 Data Warehouse (VENDORS.md section 2,
//! "Data Warehouse API"): Basic `user:token` on every request, OData v4 collections.

#[macro_use]
mod common;

use common::*;
use mspkit_core::{ErrorCode, ListOptions};
use serde_json::json;

const AGENTS: &str = "https://vsa.example.com/api/odata/1.0/Agents";

fn dw_get(url: impl Into<String>) -> Step {
    Step::get(url)
        .header("Authorization", basic(DW_USER, DW_TOKEN))
        .header("Accept", "application/json")
}

fn assert_clean(c: &Conversation) {
    let basic = basic_payload(DW_USER, DW_TOKEN);
    assert_no_secrets(c, &[DW_TOKEN, &basic]);
}

#[test]
fn follows_absolute_and_relative_next_links_and_stops_without_one() {
    let mut c = Conversation::new(warehouse_client());
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        dw_get(AGENTS).reply(200, fixture!("warehouse/agents_page1.json")),
        // Absolute @odata.nextLink, taken as sent.
        dw_get(format!("{AGENTS}?$skiptoken=418233580")).reply(
            200,
            fixture!("warehouse/agents_page2_relative_next_link.json"),
        ),
        // Relative @odata.nextLink ("Agents?$skiptoken=..."), resolved against the request.
        dw_get(format!("{AGENTS}?$skiptoken=418236619"))
            .reply(200, fixture!("warehouse/agents_page3.json")),
    ]);
    let pages = pages(&events, job);
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.page_number, p.items.len(), p.total))
            .collect::<Vec<_>>(),
        [(1, 3, None), (2, 3, None), (3, 1, None)]
    );
    assert_eq!(
        item_field(&events, job, "AgentId"),
        [418231554, 418232567, 418233580, 418234593, 418235606, 418236619, 418237632]
            .map(|id| json!(id))
    );
    assert_eq!(expect_done(&events, job), (3, 7));
    assert_eq!(
        decode_basic(c.sent[0].header("Authorization").unwrap()),
        "alice:d3a1c9e4-6b7f-4e2a-9c1d-5f8e7a6b4c3d"
    );
    assert_clean(&c);
}

#[test]
fn a_root_relative_next_link_is_followed_too() {
    let page1 = edit_json(&fixture!("warehouse/agents_page1.json"), |v| {
        v["@odata.nextLink"] = json!("/api/odata/1.0/Agents?$skiptoken=418233580");
    });
    let mut c = Conversation::new(warehouse_client());
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        dw_get(AGENTS).reply(200, page1),
        dw_get(format!("{AGENTS}?$skiptoken=418233580"))
            .reply(200, fixture!("warehouse/agents_page3.json")),
    ]);
    assert_eq!(expect_done(&events, job), (2, 4));
}

#[test]
fn a_single_page_without_next_link_is_the_whole_list() {
    let mut c = Conversation::new(warehouse_client());
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        dw_get(AGENTS).reply(200, fixture!("warehouse/agents_top1.json"))
    ]);
    let pages = pages(&events, job);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].page_number, 1);
    assert_eq!(expect_done(&events, job), (1, 1));
}

#[test]
fn next_link_to_another_origin_is_refused_and_never_contacted() {
    let mut c = Conversation::new(warehouse_client());
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events =
        c.run(vec![dw_get(AGENTS).reply(
            200,
            fixture!("warehouse/agents_next_link_foreign.json"),
        )]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::UnsafeLink);
    assert_eq!(requests_made, 1);
    assert!(
        error.message().contains("odata-cache.example.org"),
        "{}",
        error.message()
    );
    assert_eq!(c.sent.len(), 1);
    assert_clean(&c);
}

#[test]
fn next_link_outside_the_odata_base_is_refused() {
    // Same origin, but the REST API's logon: Data Warehouse credentials must not go there.
    let page1 = edit_json(&fixture!("warehouse/agents_page1.json"), |v| {
        v["@odata.nextLink"] = json!("../../v1.0/auth");
    });
    let mut c = Conversation::new(warehouse_client());
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![dw_get(AGENTS).reply(200, page1)]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::UnsafeLink, 1));
    assert_eq!(c.sent.len(), 1);
}

#[test]
fn connection_test_reads_one_agent_and_reports_no_count() {
    let mut c = Conversation::new(warehouse_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        dw_get(format!("{AGENTS}?$top=1")).reply(200, fixture!("warehouse/agents_top1.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, None);
    assert_eq!(report.message, "Connected to Kaseya VSA 9 Data Warehouse");
    assert_eq!(report.requests_made, 1);
    assert_eq!(
        report.base_url.as_deref(),
        Some("https://vsa.example.com/api/odata/1.0/")
    );
    assert_clean(&c);
}

#[test]
fn page_size_fields_filter_and_order_go_into_the_query_and_prefer_header() {
    let mut c = Conversation::new(warehouse_client());
    let options = ListOptions {
        filter: Some("Online eq true".into()),
        order_by: Some("MachineName".into()),
        page_size: Some(250),
        fields: Some(vec!["AgentId".into(), "MachineName".into()]),
        cursor: None,
    };
    let job = c.client.start_list("Agents", &options).unwrap();
    let events = c.run(vec![dw_get(format!(
        "{AGENTS}?$filter=Online%20eq%20true&$orderby=MachineName&$select=AgentId,MachineName"
    ))
    .header("Prefer", "odata.maxpagesize=250")
    .reply(200, fixture!("warehouse/agents_page3.json"))]);
    assert_eq!(expect_done(&events, job), (1, 1));
}

#[test]
fn resume_from_the_cursor_of_page_1_follows_the_stored_next_link() {
    let mut c = Conversation::new(warehouse_client());
    let first = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        dw_get(AGENTS).reply(200, fixture!("warehouse/agents_page1.json")),
        dw_get(format!("{AGENTS}?$skiptoken=418233580")).reply(
            200,
            fixture!("warehouse/agents_page2_relative_next_link.json"),
        ),
        dw_get(format!("{AGENTS}?$skiptoken=418236619"))
            .reply(200, fixture!("warehouse/agents_page3.json")),
    ]);
    let cursor = pages(&events, first)[0].cursor.clone();

    let mut c = Conversation::new(warehouse_client());
    let options = ListOptions {
        cursor: Some(cursor),
        ..ListOptions::default()
    };
    let job = c.client.start_list("Agents", &options).unwrap();
    let events = c.run(vec![
        dw_get(format!("{AGENTS}?$skiptoken=418233580")).reply(
            200,
            fixture!("warehouse/agents_page2_relative_next_link.json"),
        ),
        dw_get(format!("{AGENTS}?$skiptoken=418236619"))
            .reply(200, fixture!("warehouse/agents_page3.json")),
    ]);
    assert_eq!(
        pages(&events, job)
            .iter()
            .map(|p| p.page_number)
            .collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(expect_done(&events, job), (2, 4));
}

#[test]
fn wrong_token_is_unauthorized_after_one_request_and_names_the_scope() {
    let mut c = Conversation::new(warehouse_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        dw_get(format!("{AGENTS}?$top=1")).reply(401, fixture!("warehouse/error_401.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    assert_eq!(report.requests_made, 1);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("Data Warehouse API"),
        "{}",
        error.remediation()
    );
    assert_eq!(
        error.vendor_message(),
        Some("Authorization has been denied for this request.")
    );
    assert_clean(&c);
}

fn vendor_message_of_an_echo(c: &mut Conversation, text: &str) -> String {
    let job = c
        .client
        .start_list("Agents", &ListOptions::default())
        .unwrap();
    let body = json!({"error": {"code": "", "message": text}});
    let events = c.run(vec![dw_get(AGENTS)
        .reply(500, body.to_string().into_bytes())
        .retried()]);
    let (error, _) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    error.vendor_message().expect("kept").to_string()
}

#[test]
fn server_echo_of_the_authorization_header_is_redacted() {
    let mut c = Conversation::new(warehouse_client());
    let header = basic(DW_USER, DW_TOKEN);
    let vendor = vendor_message_of_an_echo(&mut c, &format!("Bad request header {header}"));
    assert_eq!(vendor, "Bad request header [redacted]");
    assert_clean(&c);
}

#[test]
fn server_echo_of_the_raw_token_is_redacted() {
    let mut c = Conversation::new(warehouse_client());
    let vendor = vendor_message_of_an_echo(&mut c, &format!("Token {DW_TOKEN} has expired"));
    assert_eq!(vendor, "Token [redacted] has expired");
    assert_clean(&c);
}
