//! Scripted conversations with Autotask PSA (VENDORS.md section 3): zone discovery, the
//! three credential headers, POST queries, next-page links and keyset paging, and the
//! HTTP 500s that are really client mistakes.

#[macro_use]
mod common;

use common::*;
use mspkit_core::{AutotaskPaging, Client, ClientOptions, ErrorCode, ListOptions};
use serde_json::{json, Value};

fn query_url(zone: &str) -> String {
    format!("{zone}Companies/query")
}

/// Zone discovery: the username in the query, and no credential header.
fn discovery() -> Step {
    Step::get(AT_DISCOVERY_URL)
        .no_header("Secret")
        .no_header("ApiIntegrationCode")
        .no_header("Authorization")
}

/// A POST to the zone with the three credential headers and a JSON body.
fn at_post(url: impl Into<String>, body: Value) -> Step {
    Step::post(url, body)
        .header("ApiIntegrationCode", AT_INTEGRATION_CODE)
        .header("UserName", AT_USER)
        .header("Secret", AT_SECRET)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
}

/// Before a list's second page: how much of the tenant's hourly budget is left.
fn threshold() -> Step {
    Step::get(format!("{AT_ZONE}ThresholdInformation"))
        .header("ApiIntegrationCode", AT_INTEGRATION_CODE)
        .header("Secret", AT_SECRET)
        .reply(200, fixture!("autotask/threshold_information.json"))
}

fn query(zone: &str, after_id: Option<i64>) -> Step {
    at_post(query_url(zone), autotask_query_body(500, after_id))
        .no_header("ImpersonationResourceId")
}

/// 1,234 increasing company ids with gaps, starting with the owner company 0.
fn company_ids() -> Vec<i64> {
    (0..1234)
        .map(|i: i64| if i == 0 { 0 } else { 29_682_800 + i * 3 })
        .collect()
}

fn ids_of(events: &[mspkit_core::Event], job: mspkit_core::JobId) -> Vec<i64> {
    item_field(events, job, "id")
        .iter()
        .map(|v| v.as_i64().expect("numeric id"))
        .collect()
}

fn page_shape(events: &[mspkit_core::Event], job: mspkit_core::JobId) -> Vec<(u32, usize)> {
    pages(events, job)
        .iter()
        .map(|p| (p.page_number, p.items.len()))
        .collect()
}

fn assert_clean(c: &Conversation) {
    assert_no_secrets(c, &[AT_SECRET, AT_INTEGRATION_CODE]);
}

/// A client that already knows the ws15 zone from a previous run's exported state.
fn client_with_imported_zone() -> Client {
    let mut client = autotask_client();
    client
        .import_state(&format!(
            r#"{{"v":1,"vendor":"autotask","autotask_zone":"{AT_ZONE}"}}"#
        ))
        .expect("valid state");
    client
}

#[test]
fn list_discovers_the_zone_then_posts_the_query_with_the_three_headers() {
    let mut c = Conversation::new(autotask_client());
    assert_eq!(c.client.base_url(), None, "no zone before discovery");
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(200, fixture!("autotask/companies_query_page2.json")),
    ]);
    assert_eq!(
        c.sent[1]
            .body
            .as_deref()
            .map(|b| serde_json::from_str::<Value>(b).unwrap()),
        Some(json!({"filter":[{"op":"gte","field":"id","value":0}],"maxRecords":500}))
    );
    assert_eq!(ids_of(&events, job), [29682890, 29682897]);
    assert_eq!(page_shape(&events, job), [(1, 2)]);
    assert_eq!(pages(&events, job)[0].total, None);
    assert_eq!(expect_done(&events, job), (2, 2));
    assert_eq!(c.client.base_url().as_deref(), Some(AT_ZONE));
    assert_clean(&c);
}

#[test]
fn impersonation_resource_id_is_sent_when_given() {
    let client = autotask_client_with(Some(29682833), AutotaskPaging::NextLink);
    let mut c = Conversation::new(client);
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery()
            .no_header("ImpersonationResourceId")
            .reply(200, fixture!("autotask/zone_information.json")),
        at_post(query_url(AT_ZONE), autotask_query_body(500, None))
            .header("ImpersonationResourceId", "29682833")
            .reply(200, fixture!("autotask/companies_query_page2.json")),
    ]);
    assert_eq!(expect_done(&events, job), (2, 2));
}

#[test]
fn connection_test_counts_companies() {
    let mut c = Conversation::new(autotask_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        at_post(
            format!("{AT_ZONE}Companies/query/count"),
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
        .reply(200, fixture!("autotask/query_count.json")),
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(42));
    assert_eq!(report.message, "Connected to Autotask PSA: 42 companies");
    assert_eq!(report.requests_made, 2);
    assert_eq!(report.base_url.as_deref(), Some(AT_ZONE));
    assert_clean(&c);
}

#[test]
fn small_pages_follow_the_next_page_url_with_the_original_body() {
    let next = fixture_json!("autotask/companies_query_page1.json")["pageDetails"]["nextPageUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let options = ListOptions {
        page_size: Some(3),
        ..ListOptions::default()
    };
    let mut c = Conversation::new(autotask_client());
    let job = c.client.start_list("Companies", &options).unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        at_post(query_url(AT_ZONE), autotask_query_body(3, None))
            .reply(200, fixture!("autotask/companies_query_page1.json")),
        threshold(),
        at_post(next, autotask_query_body(3, None))
            .reply(200, fixture!("autotask/companies_query_page2.json")),
    ]);
    assert_eq!(
        ids_of(&events, job),
        [0, 29682885, 29682886, 29682890, 29682897]
    );
    assert_eq!(page_shape(&events, job), [(1, 3), (2, 2)]);
    assert_eq!(expect_done(&events, job), (4, 5));
}

#[test]
fn over_1000_companies_follow_next_page_urls_with_post_and_the_same_body() {
    let ids = company_ids();
    let link1 = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[500]);
    let link2 = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[1000]);
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(200, autotask_companies_page(&ids[..500], 500, Some(&link1))),
        threshold(),
        // Same method and body as the original query (a GET here would be a 405).
        at_post(link1.clone(), autotask_query_body(500, None)).reply(
            200,
            autotask_companies_page(&ids[500..1000], 500, Some(&link2)),
        ),
        at_post(link2.clone(), autotask_query_body(500, None))
            .reply(200, autotask_companies_page(&ids[1000..], 500, None)),
    ]);
    assert_eq!(ids_of(&events, job), ids, "every id exactly once, in order");
    assert_eq!(page_shape(&events, job), [(1, 500), (2, 500), (3, 234)]);
    assert_eq!(expect_done(&events, job), (5, 1234));
    assert_eq!(c.sent[3].url, link1);
    assert_eq!(c.sent[4].url, link2);
    assert_eq!(c.sent[1].body, c.sent[3].body);
    assert_eq!(c.sent[1].body, c.sent[4].body);
    assert_clean(&c);
}

#[test]
fn keyset_paging_requeries_with_id_greater_than_the_last_id() {
    let ids = company_ids();
    // The server still sends next-page links; keyset paging ignores them.
    let link1 = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[500]);
    let link2 = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[1000]);
    let client = autotask_client_with(None, AutotaskPaging::Keyset);
    let mut c = Conversation::new(client);
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(200, autotask_companies_page(&ids[..500], 500, Some(&link1))),
        threshold(),
        query(AT_ZONE, Some(ids[499])).reply(
            200,
            autotask_companies_page(&ids[500..1000], 500, Some(&link2)),
        ),
        query(AT_ZONE, Some(ids[999])).reply(200, autotask_companies_page(&ids[1000..], 500, None)),
    ]);
    assert_eq!(ids_of(&events, job), ids);
    assert_eq!(page_shape(&events, job), [(1, 500), (2, 500), (3, 234)]);
    assert_eq!(expect_done(&events, job), (5, 1234));
    assert_eq!(
        serde_json::from_str::<Value>(c.sent[3].body.as_deref().unwrap()).unwrap(),
        json!({"filter": [
            {"op": "gte", "field": "id", "value": 0},
            {"op": "gt", "field": "id", "value": ids[499]}
        ], "maxRecords": 500})
    );
}

#[test]
fn resume_from_a_page_cursor_requeries_after_the_last_id_and_repeats_nothing() {
    let ids = company_ids();
    let link1 = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[500]);
    let mut c = Conversation::new(autotask_client());
    let first = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    // The first run dies after page 1 (the server fails the next page for good).
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(200, autotask_companies_page(&ids[..500], 500, Some(&link1))),
        threshold(),
        at_post(link1, autotask_query_body(500, None))
            .reply(403, br#"{"errors":["Forbidden"]}"#.to_vec()),
    ]);
    let (error, _) = expect_failed(&events, first);
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let delivered = ids_of(&events, first);
    let cursor = pages(&events, first)[0].cursor.clone();

    // Another process resumes: the link may be gone server-side, so it re-queries with
    // `id gt <last id of page 1>` and follows the new chain with that same body.
    let resumed_link = autotask_next_page_url(AT_ZONE, "Companies", 500, ids[1000]);
    let mut c = Conversation::new(autotask_client());
    let options = ListOptions {
        cursor: Some(cursor),
        ..ListOptions::default()
    };
    let job = c.client.start_list("Companies", &options).unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, Some(ids[499])).reply(
            200,
            autotask_companies_page(&ids[500..1000], 500, Some(&resumed_link)),
        ),
        threshold(),
        at_post(resumed_link, autotask_query_body(500, Some(ids[499])))
            .reply(200, autotask_companies_page(&ids[1000..], 500, None)),
    ]);
    assert_eq!(page_shape(&events, job), [(2, 500), (3, 234)]);
    assert_eq!(expect_done(&events, job), (4, 734));
    let mut all = delivered;
    all.extend(ids_of(&events, job));
    assert_eq!(all, ids, "nothing twice, nothing missing");
}

#[test]
fn exported_state_carries_the_zone_and_never_a_credential() {
    let mut c = Conversation::new(autotask_client());
    assert_eq!(c.client.export_state(), r#"{"v":1,"vendor":"autotask"}"#);
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        at_post(
            format!("{AT_ZONE}Companies/query/count"),
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
        .reply(200, fixture!("autotask/query_count.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
    let state = c.client.export_state();
    let parsed: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(parsed["autotask_zone"], AT_ZONE);
    // The pacing counts travel too: the two requests sent (discovery and count).
    let instances = parsed["pacing"]["instances"].as_object().unwrap();
    assert_eq!(instances.len(), 1);
    assert!(!state.contains(AT_SECRET));
    assert!(!state.contains(AT_INTEGRATION_CODE));
    assert_clean(&c);
}

#[test]
fn imported_state_skips_discovery() {
    let mut c = Conversation::new(client_with_imported_zone());
    assert_eq!(c.client.base_url().as_deref(), Some(AT_ZONE));
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        query(AT_ZONE, None).reply(200, fixture!("autotask/companies_query_page2.json"))
    ]);
    assert_eq!(expect_done(&events, job), (1, 2));
    assert_eq!(c.sent_to("https://webservices.autotask.net/"), 0);
}

#[test]
fn an_imported_zone_on_a_foreign_host_is_refused_and_discovery_runs() {
    let mut client = autotask_client();
    let error = client
        .import_state(
            r#"{"v":1,"vendor":"autotask","autotask_zone":"https://webservices15.autotask.net.attacker.example/ATServicesRest/V1.0/"}"#,
        )
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::UnsafeLink);
    assert_eq!(client.base_url(), None);
    let mut c = Conversation::new(client);
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(200, fixture!("autotask/companies_query_page2.json")),
    ]);
    assert_eq!(expect_done(&events, job), (2, 2));
}

#[test]
fn state_from_another_vendor_is_refused() {
    let mut client = autotask_client();
    let error = client
        .import_state(r#"{"v":1,"vendor":"vsax"}"#)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidConfig);
}

#[test]
fn imported_zone_401_rediscovers_once_and_the_same_zone_means_wrong_credentials() {
    let mut c = Conversation::new(client_with_imported_zone());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        query(AT_ZONE, None).reply(401, b"".to_vec()),
        discovery().reply(200, fixture!("autotask/zone_information.json")),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("Secret"),
        "{}",
        error.remediation()
    );
    assert_eq!(requests_made, 2);
    assert_eq!(c.sent.len(), 2);
    assert_clean(&c);
}

#[test]
fn imported_zone_401_rediscovers_and_retries_once_in_a_new_zone() {
    let mut c = Conversation::new(client_with_imported_zone());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        query(AT_ZONE, None).reply(401, b"".to_vec()),
        discovery().reply(200, fixture!("autotask/zone_information_webservices5.json")),
        query(AT_ZONE5, None).reply(200, fixture!("autotask/companies_query_page2.json")),
    ]);
    assert_eq!(expect_done(&events, job), (3, 2));
    assert_eq!(c.client.base_url().as_deref(), Some(AT_ZONE5));
    assert!(c.client.export_state().contains(AT_ZONE5));
    assert_clean(&c);
}

#[test]
fn imported_zone_401_in_the_new_zone_too_fails_without_another_discovery() {
    let mut c = Conversation::new(client_with_imported_zone());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        query(AT_ZONE, None).reply(401, b"".to_vec()),
        discovery().reply(200, fixture!("autotask/zone_information_webservices5.json")),
        query(AT_ZONE5, None).reply(401, b"".to_vec()),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::Unauthorized, 3));
}

#[test]
fn freshly_discovered_zone_401_fails_without_rediscovery() {
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(401, b"".to_vec()),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::Unauthorized, 2));
    assert_eq!(c.sent_to(AT_DISCOVERY_URL), 1);
}

#[test]
fn configured_zone_skips_discovery_and_401_fails_at_once() {
    let client = Client::autotask(
        AT_USER,
        AT_SECRET,
        AT_INTEGRATION_CODE,
        Some("webservices15.autotask.net"),
        None,
        ClientOptions::default(),
    )
    .unwrap();
    let mut c = Conversation::new(client);
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![query(AT_ZONE, None).reply(401, b"".to_vec())]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::Unauthorized, 1));
    let state: Value = serde_json::from_str(&c.client.export_state()).unwrap();
    assert!(
        state.get("autotask_zone").is_none(),
        "a configured zone is the user's setting, not a cache: {state}"
    );
}

#[test]
fn a_custom_discovery_endpoint_and_an_unusual_username_are_encoded() {
    let client = Client::autotask(
        "api+sync@acme.example",
        AT_SECRET,
        AT_INTEGRATION_CODE,
        None,
        None,
        ClientOptions {
            zone_discovery_url: Some(
                "https://webservices2.autotask.net/ATServicesRest/V1.0/zoneInformation".into(),
            ),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let mut c = Conversation::new(client);
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        Step::get(
            "https://webservices2.autotask.net/ATServicesRest/V1.0/zoneInformation?user=api%2Bsync%40acme.example",
        )
        .no_header("Secret")
        .reply(200, fixture!("autotask/zone_information.json")),
        Step::post(
            format!("{AT_ZONE}Companies/query/count"),
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
        .header("UserName", "api+sync@acme.example")
        .reply(200, fixture!("autotask/query_count.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
}

#[test]
fn unknown_user_fails_the_connection_test_as_unauthorized() {
    let mut c = Conversation::new(autotask_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        discovery().reply(500, fixture!("autotask/zone_unknown_user.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    assert_eq!(report.requests_made, 1);
    assert_eq!(report.base_url, None);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(500));
    assert!(!error.is_retryable());
    assert_eq!(
        error.vendor_message(),
        Some("Zone information could not be determined")
    );
    assert!(
        error.remediation().contains("Username"),
        "{}",
        error.remediation()
    );
    assert_clean(&c);
}

#[test]
fn invalid_integration_code_is_unauthorized_and_not_retried() {
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    // No `.retried()`: a second POST would fail the script.
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None).reply(
            500,
            fixture!("autotask/error_integration_code_invalid.json"),
        ),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(500));
    assert!(!error.is_retryable());
    assert_eq!(requests_made, 2);
    assert_eq!(error.vendor_message(), Some("IntegrationCode is invalid."));
    assert!(
        error.remediation().contains("integration code"),
        "{}",
        error.remediation()
    );
    assert_clean(&c);
}

#[test]
fn thread_limit_429_is_rate_limited_and_any_retry_repeats_the_same_query() {
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None)
            .reply(429, fixture!("autotask/error_thread_limit.json"))
            .retried(),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::RateLimited);
    assert!(error.is_retryable());
    assert_eq!(
        error.vendor_message(),
        Some("The Autotask API thread threshold of 3 threads has been exceeded")
    );
    assert_eq!(requests_made as usize, c.sent.len());
}

#[test]
fn zone_url_on_a_non_autotask_host_is_refused_and_never_contacted() {
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let events =
        c.run(vec![discovery().reply(
            200,
            fixture!("autotask/zone_information_foreign_host.json"),
        )]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::UnsafeLink);
    assert_eq!(requests_made, 1);
    assert_eq!(c.sent.len(), 1);
    assert!(c.sent.iter().all(|r| !r.url.contains("attacker.example")));
    assert_eq!(c.client.base_url(), None);
    assert_clean(&c);
}

#[test]
fn next_page_url_on_another_host_is_refused_and_never_contacted() {
    let mut c = Conversation::new(autotask_client());
    let options = ListOptions {
        page_size: Some(3),
        ..ListOptions::default()
    };
    let job = c.client.start_list("Companies", &options).unwrap();
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        at_post(query_url(AT_ZONE), autotask_query_body(3, None)).reply(
            200,
            fixture!("autotask/companies_query_next_link_foreign.json"),
        ),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::UnsafeLink);
    assert_eq!(requests_made, 2);
    assert!(
        error.message().contains("api.attacker.example"),
        "{}",
        error.message()
    );
    assert_eq!(c.sent_to("https://api.attacker.example"), 0);
    assert_clean(&c);
}

#[test]
fn credentials_echoed_by_the_server_are_redacted() {
    let mut c = Conversation::new(autotask_client());
    let job = c
        .client
        .start_list("Companies", &ListOptions::default())
        .unwrap();
    let echo = json!({"errors": [format!(
        "An unexpected error occurred processing the request from {AT_USER} (headers: {AT_SECRET}; {AT_INTEGRATION_CODE})"
    )]});
    let events = c.run(vec![
        discovery().reply(200, fixture!("autotask/zone_information.json")),
        query(AT_ZONE, None)
            .reply(500, echo.to_string().into_bytes())
            .retried(),
    ]);
    let (error, _) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert_eq!(
        error.vendor_message(),
        Some(
            "An unexpected error occurred processing the request from apiuser@acme.example \
             (headers: [redacted]; [redacted])"
        )
    );
    assert_clean(&c);
}
