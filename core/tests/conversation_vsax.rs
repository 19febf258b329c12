//! Scripted conversations with a Kaseya VSA X tenant (VENDORS.md section 1).

#[macro_use]
mod common;

use common::*;
use mspkit_core::{Client, ClientOptions, ErrorCode, ListOptions, TransportErrorKind};
use serde_json::json;

const ORGS_TOP1: &str = "https://acme.vsax.net/api/v3/organizations?$top=1";

fn devices_url(top: u32, skip: u64) -> String {
    format!("https://acme.vsax.net/api/v3/devices?$top={top}&$skip={skip}")
}

fn organizations_url(top: u32, skip: u64) -> String {
    format!("https://acme.vsax.net/api/v3/organizations?$top={top}&$skip={skip}")
}

fn page_of(size: u32) -> ListOptions {
    ListOptions {
        page_size: Some(size),
        ..ListOptions::default()
    }
}

/// Every VSA X request carries the token pair as Basic, and asks for JSON.
fn vsax_get(url: impl Into<String>) -> Step {
    Step::get(url)
        .header("Authorization", VSAX_BASIC)
        .header("Accept", "application/json")
}

fn secrets() -> Vec<String> {
    vec![
        VSAX_TOKEN_SECRET.to_string(),
        basic_payload(VSAX_TOKEN_ID, VSAX_TOKEN_SECRET),
    ]
}

fn assert_clean(conversation: &Conversation) {
    let secrets = secrets();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secrets(conversation, &refs);
}

#[test]
fn basic_header_is_base64_of_token_id_colon_secret() {
    // The constant was computed outside Rust; the helper must agree with it.
    assert_eq!(basic(VSAX_TOKEN_ID, VSAX_TOKEN_SECRET), VSAX_BASIC);
    assert_eq!(
        decode_basic(VSAX_BASIC),
        "mspkit-token-id-7c41:vsax-Secr3t-9b1f0c7d2e"
    );
}

#[test]
fn connection_test_reads_the_organization_count_in_one_request() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        vsax_get(ORGS_TOP1).reply(200, fixture!("vsax/organizations_top1.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(42));
    assert_eq!(
        report.message,
        "Connected to Kaseya VSA X: 42 organizations"
    );
    assert_eq!(report.requests_made, 1);
    assert_eq!(report.error, None);
    assert_eq!(
        report.base_url.as_deref(),
        Some("https://acme.vsax.net/api/v3/")
    );
    assert_clean(&c);
}

#[test]
fn pasted_tenant_urls_lead_to_the_same_request() {
    for pasted in [
        "acme.vsax.net",
        "  https://acme.vsax.net/ ",
        "https://acme.vsax.net//api//v3//",
        "HTTPS://ACME.VSAX.NET/api/v3",
    ] {
        let client = Client::vsax(
            pasted,
            VSAX_TOKEN_ID,
            VSAX_TOKEN_SECRET,
            ClientOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{pasted:?}: {e}"));
        let mut c = Conversation::new(client);
        let job = c.client.start_test_connection();
        let events = c.run(vec![
            vsax_get(ORGS_TOP1).reply(200, fixture!("vsax/organizations_top1.json"))
        ]);
        assert!(expect_connection(&events, job).ok, "{pasted:?}");
    }
}

#[test]
fn list_stops_when_total_count_is_reached_without_asking_for_more() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("organizations", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(organizations_url(3, 0)).reply(200, fixture!("vsax/organizations_page1.json")),
        // A full page, but 6 of 6 are collected: no third request.
        vsax_get(organizations_url(3, 3)).reply(200, fixture!("vsax/organizations_page2.json")),
    ]);
    let pages = pages(&events, job);
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages.iter().map(|p| p.page_number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(pages
        .iter()
        .all(|p| p.total == Some(6) && p.items.len() == 3));
    assert_eq!(
        item_field(&events, job, "Id"),
        [
            json!(101),
            json!(102),
            json!(123),
            json!(130),
            json!(131),
            json!(144)
        ]
    );
    assert_eq!(expect_done(&events, job), (2, 6));
    assert_clean(&c);
}

#[test]
fn list_stops_on_a_short_page() {
    // Without TotalCount only the short page can end the list.
    let strip = |body: Vec<u8>| {
        edit_json(&body, |v| {
            v["Meta"].as_object_mut().unwrap().remove("TotalCount");
        })
    };
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, strip(fixture!("vsax/devices_page1.json"))),
        vsax_get(devices_url(3, 3)).reply(200, strip(fixture!("vsax/devices_page2.json"))),
        vsax_get(devices_url(3, 6)).reply(200, strip(fixture!("vsax/devices_page3.json"))),
    ]);
    let pages = pages(&events, job);
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.page_number, p.items.len(), p.total))
            .collect::<Vec<_>>(),
        [(1, 3, None), (2, 3, None), (3, 2, None)]
    );
    assert_eq!(
        item_field(&events, job, "Name"),
        [
            "ACME-DC01",
            "ACME-FS01",
            "ACME-RECEPTION",
            "ACME-SURGERY2",
            "BAYSIDE-WH-PC1",
            "iPad-Driver-07",
            "MYORG2-LAPTOP-JS",
            "MYORG2-SQL01"
        ]
    );
    assert_eq!(expect_done(&events, job), (3, 8));
}

#[test]
fn list_stops_on_an_empty_page_even_if_total_count_promised_more() {
    // TotalCount says 8, but rows vanished while paging: the empty third page ends it.
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json")),
        vsax_get(devices_url(3, 3)).reply(200, fixture!("vsax/devices_page2.json")),
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_empty.json")),
    ]);
    let pages = pages(&events, job);
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.page_number, p.items.len(), p.total))
            .collect::<Vec<_>>(),
        [(1, 3, Some(8)), (2, 3, Some(8)), (3, 0, Some(8))]
    );
    assert_eq!(expect_done(&events, job), (3, 6));
}

#[test]
fn three_page_list_with_total_count_and_identifiers() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json")),
        vsax_get(devices_url(3, 3)).reply(200, fixture!("vsax/devices_page2.json")),
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_page3.json")),
    ]);
    let ids = item_field(&events, job, "Identifier");
    assert_eq!(ids.len(), 8);
    assert_eq!(ids[0], json!("6b1f3a52-8e0d-4c55-9c1e-2a7d0f4b9e11"));
    assert_eq!(ids[7], json!("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"));
    let pages = pages(&events, job);
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.total == Some(8)));
    assert_eq!(expect_done(&events, job), (3, 8));
}

#[test]
fn default_page_size_is_100_and_filter_and_order_by_are_percent_encoded() {
    let mut c = Conversation::new(vsax_client());
    let options = ListOptions {
        filter: Some("contains(tolower(GroupName), 'mygroup')".into()),
        order_by: Some("GroupId desc".into()),
        ..ListOptions::default()
    };
    let job = c.client.start_list("devices", &options).unwrap();
    let events = c.run(vec![vsax_get(
        "https://acme.vsax.net/api/v3/devices?$top=100&$skip=0\
         &$filter=contains(tolower(GroupName),%20%27mygroup%27)&$orderby=GroupId%20desc",
    )
    .reply(200, fixture!("vsax/devices_page3.json"))]);
    // 2 < 100: a short page ends the list.
    assert_eq!(pages(&events, job).len(), 1);
    assert_eq!(expect_done(&events, job), (1, 2));
}

#[test]
fn next_query_link_is_followed_when_present() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_next_query_link_page1.json")),
        vsax_get(
            "https://acme.vsax.net/api/v3/devices?$top=3&queryToken=c2tpcD0zO3NuYXBzaG90PTE3OTUzNDg4MDA",
        )
        .reply(200, fixture!("vsax/devices_next_query_link_page2.json")),
    ]);
    let pages = pages(&events, job);
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.page_number, p.items.len()))
            .collect::<Vec<_>>(),
        [(1, 3), (2, 3)]
    );
    assert_eq!(expect_done(&events, job), (2, 6));
    assert_clean(&c);
}

#[test]
fn next_query_link_to_another_host_is_refused_and_never_contacted() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    // The harness fails on any request not in the script: nothing may go to evil.example.net.
    let events = c.run(vec![vsax_get(devices_url(3, 0))
        .reply(200, fixture!("vsax/devices_next_query_link_foreign.json"))]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::UnsafeLink);
    assert_eq!(requests_made, 1);
    assert!(
        error.message().contains("evil.example.net"),
        "{}",
        error.message()
    );
    assert_eq!(c.sent_to("https://evil.example.net"), 0);
    assert_eq!(c.sent.len(), 1);
    assert_clean(&c);
}

#[test]
fn wrong_secret_fails_unauthorized_after_exactly_one_request() {
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(100, 0)).reply(401, fixture!("vsax/error_401.json"))
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(requests_made, 1);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("token"),
        "{}",
        error.remediation()
    );
    assert_eq!(
        error.vendor_message(),
        Some("Authorization has been denied for this request.")
    );
    assert!(pages(&events, job).is_empty());
    assert_clean(&c);
}

#[test]
fn connection_test_with_a_wrong_secret_reports_unauthorized() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        vsax_get(ORGS_TOP1).reply(401, fixture!("vsax/error_401.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    assert_eq!(report.organization_count, None);
    assert_eq!(report.requests_made, 1);
    let error = report.error.expect("a failed report carries the error");
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert!(
        report
            .message
            .starts_with("Could not connect to Kaseya VSA X"),
        "{}",
        report.message
    );
    assert_clean(&c);
}

#[test]
fn forbidden_names_the_resource_and_the_token_permissions() {
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(100, 0)).reply(403, fixture!("vsax/error_403.json"))
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(
        (error.code(), error.status(), requests_made),
        (ErrorCode::Forbidden, Some(403), 1)
    );
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("devices"),
        "{}",
        error.remediation()
    );
    assert_eq!(error.vendor_message(), Some("Request Failed"));
}

#[test]
fn not_found_suggests_the_server_may_be_vsa9() {
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(100, 0)).reply(404, fixture!("vsax/error_404.json"))
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(
        (error.code(), error.status(), requests_made),
        (ErrorCode::NotFound, Some(404), 1)
    );
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("VSA 9"),
        "{}",
        error.remediation()
    );
    assert_eq!(error.vendor_message(), Some("Entity is not found."));
}

#[test]
fn in_body_404_under_http_200_is_not_found() {
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(100, 0)).reply(200, fixture!("vsax/error_404.json"))
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::NotFound, 1));
    assert_eq!(error.vendor_message(), Some("Entity is not found."));
    assert!(pages(&events, job).is_empty());
}

#[test]
fn bad_gateway_html_page_is_a_server_error_quoting_the_title() {
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    // A 502 is transient: the core may retry it (same request) before giving up.
    let events = c.run(vec![vsax_get(devices_url(100, 0))
        .reply_with_headers(
            502,
            &[("Content-Type", "text/html")],
            fixture!("common/bad_gateway.html"),
        )
        .retried()]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert_eq!(error.status(), Some(502));
    assert!(error.is_retryable());
    assert_eq!(error.vendor_message(), Some("502 Bad Gateway"));
    assert_eq!(requests_made as usize, c.sent.len());
    assert!(c.sent.iter().all(|r| r.url == devices_url(100, 0)));
}

#[test]
fn truncated_json_under_200_is_a_retryable_bad_response() {
    let mut body = fixture!("vsax/devices_page1.json");
    body.truncate(body.len() / 2);
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![vsax_get(devices_url(3, 0)).reply(200, body).retried()]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::BadResponse);
    assert!(error.is_retryable());
    assert!(error.message().contains("truncated"), "{}", error.message());
    assert_eq!(requests_made as usize, c.sent.len());
    assert!(pages(&events, job).is_empty());
}

#[test]
fn an_html_page_under_200_is_a_bad_response_quoting_its_title() {
    // A captive portal or SSO page answering in place of the API.
    let html = b"<!DOCTYPE html><html><head><title>Sign in - Acme Proxy</title></head><body>...</body></html>";
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![vsax_get(ORGS_TOP1).reply(200, html.to_vec())]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::BadResponse);
    assert!(!error.is_retryable());
    assert_eq!(error.vendor_message(), Some("Sign in - Acme Proxy"));
    assert_eq!(report.requests_made, 1);
}

#[test]
fn in_body_401_under_http_200_is_unauthorized() {
    let body = edit_json(&fixture!("vsax/error_404.json"), |v| {
        v["Meta"]["ResponseCode"] = json!(401);
        v["Meta"]["ErrorMessage"] = json!("Invalid token.");
    });
    let mut c = Conversation::new(vsax_client());
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![vsax_get(devices_url(100, 0)).reply(200, body)]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::Unauthorized, 1));
    assert_eq!(error.vendor_message(), Some("Invalid token."));
}

#[test]
fn transport_timeout_is_a_transport_error_that_mentions_the_network() {
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![vsax_get(ORGS_TOP1)
        .transport_error(TransportErrorKind::Timeout, "operation timed out after 30s")
        .retried()]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::Transport);
    assert_eq!(error.status(), None);
    assert!(
        error.message().contains("acme.vsax.net"),
        "{}",
        error.message()
    );
    assert!(
        error.remediation().contains("firewall"),
        "{}",
        error.remediation()
    );
    assert_eq!(report.requests_made as usize, c.sent.len());
}

#[test]
fn resume_from_the_cursor_of_page_2_delivers_only_page_3() {
    let mut c = Conversation::new(vsax_client());
    let first = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json")),
        vsax_get(devices_url(3, 3)).reply(200, fixture!("vsax/devices_page2.json")),
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_page3.json")),
    ]);
    let pages_first = pages(&events, first);
    let cursor2 = pages_first[1].cursor.clone();
    let cursor3 = pages_first[2].cursor.clone();

    // A new client (another process) resumes after page 2.
    let mut c = Conversation::new(vsax_client());
    let options = ListOptions {
        cursor: Some(cursor2),
        ..page_of(3)
    };
    let job = c.client.start_list("devices", &options).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_page3.json"))
    ]);
    let pages = pages(&events, job);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].page_number, 3);
    assert_eq!(pages[0].items.len(), 2);
    assert_eq!(
        pages[0].cursor, cursor3,
        "the same position gives the same cursor"
    );
    assert_eq!(
        item_field(&events, job, "Name"),
        ["MYORG2-LAPTOP-JS", "MYORG2-SQL01"]
    );
    assert_eq!(expect_done(&events, job), (1, 2));
}

#[test]
fn resume_with_the_final_cursor_is_done_at_once_without_requests() {
    let mut c = Conversation::new(vsax_client());
    let first = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json")),
        vsax_get(devices_url(3, 3)).reply(200, fixture!("vsax/devices_page2.json")),
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_page3.json")),
    ]);
    let last_cursor = pages(&events, first).last().unwrap().cursor.clone();

    let mut c = Conversation::new(vsax_client());
    let options = ListOptions {
        cursor: Some(last_cursor),
        ..page_of(3)
    };
    let job = c.client.start_list("devices", &options).unwrap();
    let events = c.run(vec![]);
    assert!(pages(&events, job).is_empty());
    assert_eq!(expect_done(&events, job), (0, 0));
    assert!(c.sent.is_empty());
    assert!(c.client.is_idle());
}

#[test]
fn a_cursor_from_another_resource_or_query_is_refused_before_sending() {
    let mut c = Conversation::new(vsax_client());
    let first = c.client.start_list("devices", &page_of(3)).unwrap();
    let events = c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json")),
        vsax_get(devices_url(3, 3)).reply(200, fixture!("vsax/devices_page2.json")),
        vsax_get(devices_url(3, 6)).reply(200, fixture!("vsax/devices_page3.json")),
    ]);
    let cursor = pages(&events, first)[0].cursor.clone();

    let mut fresh = vsax_client();
    let other_resource = ListOptions {
        cursor: Some(cursor.clone()),
        ..page_of(3)
    };
    let error = fresh
        .start_list("organizations", &other_resource)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidConfig);
    let other_filter = ListOptions {
        filter: Some("GroupId eq 11".into()),
        cursor: Some(cursor),
        ..page_of(3)
    };
    let error = fresh.start_list("devices", &other_filter).unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidConfig);
    let garbage = ListOptions {
        cursor: Some("not a cursor".into()),
        ..ListOptions::default()
    };
    assert_eq!(
        fresh.start_list("devices", &garbage).unwrap_err().code(),
        ErrorCode::InvalidConfig
    );
    // Nothing was queued: the client stays idle.
    assert!(fresh.is_idle());
    assert_eq!(fresh.poll(T0), None);
}

/// A 500 whose body echoes `text` back in `Meta.ErrorMessage`; returns the failed job's
/// vendor message.
fn vendor_message_of_an_echo(c: &mut Conversation, text: &str) -> String {
    let job = c
        .client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let body = json!({"Data": null, "Meta": {"ResponseCode": 500, "ErrorMessage": text}});
    let events = c.run(vec![vsax_get(devices_url(100, 0))
        .reply(500, body.to_string().into_bytes())
        .retried()]);
    let (error, _) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    error
        .vendor_message()
        .expect("the server's message is kept")
        .to_string()
}

#[test]
fn server_echo_of_the_authorization_header_is_redacted() {
    let mut c = Conversation::new(vsax_client());
    let vendor = vendor_message_of_an_echo(
        &mut c,
        &format!("Token {VSAX_TOKEN_ID} failed (header {VSAX_BASIC})"),
    );
    assert_eq!(
        vendor, "Token mspkit-token-id-7c41 failed (header [redacted])",
        "the id is not secret, the header is"
    );
    assert_clean(&c);
}

#[test]
fn server_echo_of_the_raw_token_secret_is_redacted() {
    let mut c = Conversation::new(vsax_client());
    let vendor = vendor_message_of_an_echo(
        &mut c,
        &format!("Token {VSAX_TOKEN_ID} with secret {VSAX_TOKEN_SECRET} is not valid"),
    );
    assert_eq!(
        vendor,
        "Token mspkit-token-id-7c41 with secret [redacted] is not valid"
    );
    assert_clean(&c);
}

#[test]
fn transport_error_text_echoing_the_authorization_header_is_redacted() {
    // A host HTTP client that puts the request headers into its error text.
    let mut c = Conversation::new(vsax_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![vsax_get(ORGS_TOP1)
        .transport_error(
            TransportErrorKind::Other,
            &format!("connection reset; request headers: Authorization: {VSAX_BASIC}"),
        )
        .retried()]);
    let report = expect_connection(&events, job);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::Transport);
    assert!(
        error
            .message()
            .ends_with("request headers: Authorization: [redacted]"),
        "{}",
        error.message()
    );
    assert_clean(&c);
}

// The harness itself must fail loudly; these pin that down once.

#[test]
#[should_panic(expected = "does not match the script")]
fn harness_fails_on_a_request_that_differs_from_the_script() {
    let mut c = Conversation::new(vsax_client());
    c.client.start_test_connection();
    c.run(vec![vsax_get(
        "https://acme.vsax.net/api/v3/organizations?$top=2",
    )
    .reply(200, fixture!("vsax/organizations_top1.json"))]);
}

#[test]
#[should_panic(expected = "header Authorization: expected [redacted")]
fn harness_never_prints_credential_header_values() {
    let mut c = Conversation::new(vsax_client());
    c.client.start_test_connection();
    c.run(vec![Step::get(ORGS_TOP1)
        .header("Authorization", basic(VSAX_TOKEN_ID, "another-secret"))
        .reply(200, fixture!("vsax/organizations_top1.json"))]);
}

#[test]
#[should_panic(expected = "steps left over")]
fn harness_fails_on_steps_left_over() {
    let mut c = Conversation::new(vsax_client());
    c.client.start_test_connection();
    c.run(vec![
        vsax_get(ORGS_TOP1).reply(200, fixture!("vsax/organizations_top1.json")),
        vsax_get(ORGS_TOP1).reply(200, fixture!("vsax/organizations_top1.json")),
    ]);
}

#[test]
#[should_panic(expected = "was not in the script")]
fn harness_fails_on_a_request_after_the_script_ended() {
    let mut c = Conversation::new(vsax_client());
    c.client.start_list("devices", &page_of(3)).unwrap();
    c.run(vec![
        vsax_get(devices_url(3, 0)).reply(200, fixture!("vsax/devices_page1.json"))
    ]);
}

/// A client listing organisations 3 at a time, page 1 answered but not yet polled.
fn list_with_page1_answered() -> (Client, mspkit_core::JobId) {
    let mut client = vsax_client();
    let list = client.start_list("organizations", &page_of(3)).unwrap();
    let Some(mspkit_core::Action::Send(first)) = client.poll(T0) else {
        panic!("the list sends first");
    };
    let page1 = fixture!("vsax/organizations_page1.json");
    client
        .handle_response(first.id, 200, &[], &page1, T0 + 1)
        .unwrap();
    (client, list)
}

#[test]
fn a_cancelled_list_sends_nothing_more_and_leaves_other_jobs_running() {
    use mspkit_core::{Action, Event};
    let (mut client, list) = list_with_page1_answered();
    let Some(Action::Event(Event::Page(page))) = client.poll(T0 + 1) else {
        panic!("page 1 arrives");
    };
    assert_eq!(page.job, list);
    // The host stops reading after page 1, while page 2 is already in flight.
    let Some(Action::Send(second)) = client.poll(T0 + 2) else {
        panic!("page 2 is requested");
    };
    assert!(client.cancel(list));
    assert!(!client.cancel(list), "cancelling twice is a no-op");
    assert!(client.is_idle());
    // Its answer may still come back; it is accepted and ignored.
    let page2 = fixture!("vsax/organizations_page2.json");
    client
        .handle_response(second.id, 200, &[], &page2, T0 + 3)
        .unwrap();
    assert_eq!(
        client.poll(T0 + 3),
        None,
        "no event, no request for a cancelled job"
    );

    // A job started afterwards runs as usual.
    let test = client.start_test_connection();
    let Some(Action::Send(request)) = client.poll(T0 + 4) else {
        panic!("the connection test sends");
    };
    assert_eq!(request.url, ORGS_TOP1);
    let top1 = fixture!("vsax/organizations_top1.json");
    client
        .handle_response(request.id, 200, &[], &top1, T0 + 5)
        .unwrap();
    assert!(matches!(
        client.poll(T0 + 5),
        Some(Action::Event(Event::Connection { job, .. })) if job == test
    ));
}

#[test]
fn cancelling_drops_events_not_yet_delivered() {
    use mspkit_core::{Action, Event};
    let (mut client, list) = list_with_page1_answered();
    // Page 1 is queued but not yet polled.
    assert!(client.cancel(list));
    assert!(!matches!(
        client.poll(T0 + 1),
        Some(Action::Event(Event::Page(_)))
    ));
    assert!(client.is_idle());
}
