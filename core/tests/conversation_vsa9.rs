//! Scripted conversations with a Kaseya VSA 9 server's REST API (VENDORS.md section 2,
//! "Session auth" and "Lists").

#[macro_use]
mod common;

use common::*;
use mspkit_core::{Client, ClientOptions, ErrorCode, ListOptions, Vsa9Auth};
use serde_json::json;

const ORGS_TOP1: &str = "https://vsa.example.com/api/v1.0/system/orgs?$top=1";

fn agents_url(top: u32, skip: u64) -> String {
    format!("https://vsa.example.com/api/v1.0/assetmgmt/agents?$top={top}&$skip={skip}")
}

fn page_of(size: u32) -> ListOptions {
    ListOptions {
        page_size: Some(size),
        ..ListOptions::default()
    }
}

/// The logon: Basic `alice:PAT` on /auth, never a Bearer.
fn logon() -> Step {
    Step::get(VSA9_AUTH_URL).header("Authorization", basic(VSA9_USER, VSA9_PAT))
}

/// An API call with the session of `token`.
fn with_session(url: impl Into<String>, token: &str) -> Step {
    Step::get(url)
        .header("Authorization", bearer(token))
        .header("Accept", "application/json")
}

fn assert_clean(c: &Conversation) {
    let basic = basic_payload(VSA9_USER, VSA9_PAT);
    assert_no_secrets(c, &[VSA9_PAT, &basic, VSA9_TOKEN, VSA9_RENEWED_TOKEN]);
}

#[test]
fn connection_test_logs_on_with_the_pat_then_uses_the_bearer() {
    let mut c = Conversation::new(vsa9_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(42));
    assert_eq!(
        report.message,
        "Connected to Kaseya VSA 9: 42 organizations"
    );
    assert_eq!(report.requests_made, 2);
    assert_eq!(
        report.base_url.as_deref(),
        Some("https://vsa.example.com/api/v1.0/")
    );
    assert_eq!(
        decode_basic(c.sent[0].header("Authorization").unwrap()),
        "alice:0f8fad5b-d9cb-469f-a165-70867728950e"
    );
    assert_clean(&c);
}

#[test]
fn multi_page_list_with_total_records() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(agents_url(3, 0), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page1.json")),
        with_session(agents_url(3, 3), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page2.json")),
        with_session(agents_url(3, 6), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page3.json")),
    ]);
    let pages = pages(&events, job);
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.page_number, p.items.len(), p.total))
            .collect::<Vec<_>>(),
        [(1, 3, Some(7)), (2, 3, Some(7)), (3, 1, Some(7))]
    );
    assert_eq!(
        item_field(&events, job, "AgentId"),
        [418231554, 418232567, 418233580, 418234593, 418235606, 418236619, 418237632]
            .map(|id| json!(id))
    );
    assert_eq!(expect_done(&events, job), (4, 7));
    assert_clean(&c);
}

#[test]
fn session_is_renewed_when_less_than_a_minute_is_left() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        // Answered 90 s before expiry: the session is still good for page 2 (the margin
        // leaves room for pacing waits between requests).
        with_session(agents_url(3, 0), VSA9_TOKEN)
            .reply(200, fixture!("vsa9/agents_page1.json"))
            .at(VSA9_SESSION_EXPIRES - 90_000),
        // Answered 59 s before expiry: page 3 needs a new session first.
        with_session(agents_url(3, 3), VSA9_TOKEN)
            .reply(200, fixture!("vsa9/agents_page2.json"))
            .at(VSA9_SESSION_EXPIRES - 59_000),
        logon().reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        with_session(agents_url(3, 6), VSA9_RENEWED_TOKEN)
            .reply(200, fixture!("vsa9/agents_page3.json")),
    ]);
    assert_eq!(
        pages(&events, job)
            .iter()
            .map(|p| p.page_number)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(expect_done(&events, job), (5, 7));
    assert_eq!(c.sent_to(VSA9_AUTH_URL), 2);
    assert_clean(&c);
}

#[test]
fn in_body_401_under_http_200_renews_once_and_retries_the_same_page() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(agents_url(3, 0), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page1.json")),
        with_session(agents_url(3, 3), VSA9_TOKEN).reply(200, fixture!("vsa9/in_body_401.json")),
        logon().reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        // The retry is the very request that failed, with the new session.
        with_session(agents_url(3, 3), VSA9_RENEWED_TOKEN)
            .reply(200, fixture!("vsa9/agents_page2.json")),
        with_session(agents_url(3, 6), VSA9_RENEWED_TOKEN)
            .reply(200, fixture!("vsa9/agents_page3.json")),
    ]);
    assert_eq!(c.sent[2].url, c.sent[4].url);
    assert_eq!(
        pages(&events, job)
            .iter()
            .map(|p| (p.page_number, p.items.len()))
            .collect::<Vec<_>>(),
        [(1, 3), (2, 3), (3, 1)],
        "the failed page is delivered once, after the retry"
    );
    assert_eq!(expect_done(&events, job), (6, 7));
    assert_clean(&c);
}

#[test]
fn http_401_renews_once_and_retries_the_same_request() {
    let mut c = Conversation::new(vsa9_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(401, b"".to_vec()),
        logon().reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        with_session(ORGS_TOP1, VSA9_RENEWED_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    let report = expect_connection(&events, job);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.organization_count, Some(42));
    assert_eq!(report.requests_made, 4);
    assert_clean(&c);
}

#[test]
fn a_second_401_after_renewal_fails_without_looping() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(agents_url(3, 0), VSA9_TOKEN).reply(401, b"".to_vec()),
        logon().reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        with_session(agents_url(3, 0), VSA9_RENEWED_TOKEN).reply(401, b"".to_vec()),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_retryable());
    assert_eq!(requests_made, 4);
    assert_eq!(c.sent.len(), 4);
    assert_eq!(c.sent_to(VSA9_AUTH_URL), 2);
    assert!(pages(&events, job).is_empty());
    assert_clean(&c);
}

#[test]
fn a_second_in_body_401_after_renewal_fails_without_looping() {
    let mut c = Conversation::new(vsa9_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/in_body_401.json")),
        logon().reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        with_session(ORGS_TOP1, VSA9_RENEWED_TOKEN).reply(200, fixture!("vsa9/in_body_401.json")),
    ]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    assert_eq!(report.requests_made, 4);
    let error = report.error.expect("error");
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(
        error.vendor_message(),
        Some("Session has expired or is invalid.")
    );
    assert_clean(&c);
}

// "Renew once, retry once" counts per failed request: a long list may lose its session
// again pages later (here the server sends no SessionExpiration, so only a 401 tells).
#[test]
fn a_later_401_after_a_successful_renewal_renews_again() {
    let no_expiry = |body: Vec<u8>| {
        edit_json(&body, |v| {
            v["Result"]
                .as_object_mut()
                .unwrap()
                .remove("SessionExpiration");
        })
    };
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, no_expiry(fixture!("vsa9/auth_ok.json"))),
        with_session(agents_url(3, 0), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page1.json")),
        with_session(agents_url(3, 3), VSA9_TOKEN).reply(401, b"".to_vec()),
        logon().reply(200, no_expiry(fixture!("vsa9/auth_ok_renewed.json"))),
        with_session(agents_url(3, 3), VSA9_RENEWED_TOKEN)
            .reply(200, fixture!("vsa9/agents_page2.json"))
            .at(T0 + 45 * 60_000),
        with_session(agents_url(3, 6), VSA9_RENEWED_TOKEN).reply(401, b"".to_vec()),
        logon().reply(200, no_expiry(fixture!("vsa9/auth_ok.json"))),
        with_session(agents_url(3, 6), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page3.json")),
    ]);
    assert_eq!(expect_done(&events, job), (8, 7));
}

#[test]
fn a_session_that_looks_expired_on_arrival_does_not_cause_a_logon_loop() {
    let mut c = Conversation::new(vsa9_client());
    // The host's clock is 31 minutes ahead of the server's.
    c.advance_to(VSA9_SESSION_EXPIRES + 60_000);
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
}

#[test]
fn a_zoneless_session_expiration_with_an_offset_does_not_cause_a_logon_loop() {
    // 07:30 server-local = 12:30Z when OffSetInMinutes is -300 (UTC-5).
    let zoneless = edit_json(&fixture!("vsa9/auth_ok.json"), |v| {
        v["Result"]["SessionExpiration"] = json!("2026-11-22T07:30:00");
        v["Result"]["OffSetInMinutes"] = json!(-300);
    });
    let mut c = Conversation::new(vsa9_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, zoneless),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
}

#[test]
fn wrong_pat_fails_at_logon_after_exactly_one_request() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &ListOptions::default())
        .unwrap();
    let events = c.run(vec![
        logon().reply(401, fixture!("vsa9/auth_invalid_credentials.json"))
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!(requests_made, 1);
    assert_eq!(error.code(), ErrorCode::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_retryable());
    assert!(
        error.remediation().contains("access token"),
        "{}",
        error.remediation()
    );
    assert_eq!(error.vendor_message(), Some("Invalid credentials"));
    assert_eq!(c.sent.len(), 1);
    assert_clean(&c);
}

#[test]
fn wrong_pat_with_an_in_body_401_under_http_200_fails_the_connection_test() {
    let mut c = Conversation::new(vsa9_client());
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_invalid_credentials.json"))
    ]);
    let report = expect_connection(&events, job);
    assert!(!report.ok);
    assert_eq!(report.requests_made, 1);
    assert_eq!(report.organization_count, None);
    assert_eq!(report.error.expect("error").code(), ErrorCode::Unauthorized);
    assert_clean(&c);
}

#[test]
fn legacy_password_logon_sends_the_double_hash_payload() {
    const PASSWORD: &str = "p@ssw0rd";
    // Computed outside Rust (Python hashlib) from VENDORS.md's formula.
    const PAYLOAD: &str = "user=alice,\
        pass2=228fd71a9e1e75cf86f7c2baf07fd300b6ad8a382db2e2d15efd44e7266b6632,\
        pass1=6f9f50ffc41140175d376617dbaccc7b1e9be17f,\
        rpass2=a075d17f3d453073853f813838c15b8023b8c487038436354fe599c3942e1f95,\
        rpass1=57b2ad99044d337197c0c39fd3823568ff81e48a,\
        rand2=12345678";
    let client = Client::vsa9(
        VSA9_SERVER,
        "alice",
        PASSWORD,
        Vsa9Auth::Password { nonce: 12345678 },
        ClientOptions::default(),
    )
    .unwrap();
    let expected_header = {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(PAYLOAD)
        )
    };
    let mut c = Conversation::new(client);
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        Step::get(VSA9_AUTH_URL)
            .header("Authorization", expected_header.clone())
            .reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    assert_eq!(
        decode_basic(c.sent[0].header("Authorization").unwrap()),
        PAYLOAD
    );
    assert!(expect_connection(&events, job).ok);
    let encoded = expected_header.trim_start_matches("Basic ").to_string();
    assert_no_secrets(&c, &[PASSWORD, &encoded, VSA9_TOKEN]);
}

#[test]
fn legacy_renewal_uses_a_new_nonce_with_a_consistent_payload() {
    use sha1::Sha1;
    use sha2::{Digest, Sha256};
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let h256 = |s: &str| hex(&Sha256::digest(s.as_bytes()));
    let h1 = |s: &str| hex(&Sha1::digest(s.as_bytes()));

    let client = Client::vsa9(
        VSA9_SERVER,
        "alice",
        "p@ssw0rd",
        Vsa9Auth::Password { nonce: 12345678 },
        ClientOptions::default(),
    )
    .unwrap();
    let mut c = Conversation::new(client);
    let job = c.client.start_test_connection();
    let events = c.run(vec![
        Step::get(VSA9_AUTH_URL).reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(401, b"".to_vec()),
        Step::get(VSA9_AUTH_URL).reply(200, fixture!("vsa9/auth_ok_renewed.json")),
        with_session(ORGS_TOP1, VSA9_RENEWED_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json")),
    ]);
    assert!(expect_connection(&events, job).ok);
    let first = decode_basic(c.sent[0].header("Authorization").unwrap());
    let renewal = decode_basic(c.sent[2].header("Authorization").unwrap());
    assert!(first.ends_with(",rand2=12345678"), "{first}");
    let fields: Vec<(&str, &str)> = renewal
        .split(',')
        .map(|kv| kv.split_once('=').expect("key=value"))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        ["user", "pass2", "pass1", "rpass2", "rpass1", "rand2"]
    );
    let n = fields[5].1;
    assert_ne!(n, "12345678", "a renewal must not replay the first nonce");
    assert!(n.parse::<u64>().is_ok(), "rand2 is a decimal number: {n}");
    assert_eq!(fields[0].1, "alice");
    assert_eq!(fields[1].1, h256(&format!("{}{n}", h256("p@ssw0rdalice"))));
    assert_eq!(fields[2].1, h1(&format!("{}{n}", h1("p@ssw0rdalice"))));
    assert_eq!(fields[3].1, h256("p@ssw0rd"));
    assert_eq!(fields[4].1, h1("p@ssw0rd"));
    assert_no_secrets(&c, &["p@ssw0rd", VSA9_TOKEN, VSA9_RENEWED_TOKEN]);
}

#[test]
fn a_refused_renewal_fails_the_job() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(agents_url(3, 0), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page1.json")),
        with_session(agents_url(3, 3), VSA9_TOKEN).reply(200, fixture!("vsa9/in_body_401.json")),
        logon().reply(401, fixture!("vsa9/auth_invalid_credentials.json")),
    ]);
    let (error, requests_made) = expect_failed(&events, job);
    assert_eq!((error.code(), requests_made), (ErrorCode::Unauthorized, 4));
    assert_eq!(pages(&events, job).len(), 1, "page 1 stays delivered");
    assert_clean(&c);
}

#[test]
fn two_jobs_at_once_share_one_logon() {
    let mut c = Conversation::new(vsa9_client());
    let list = c
        .client
        .start_list("assetmgmt/agents", &page_of(3))
        .unwrap();
    let test = c.client.start_test_connection();
    let events = c.run(vec![
        // The logon is slow: both jobs poll while it is pending and neither logs on again.
        logon().reply(200, fixture!("vsa9/auth_ok.json")).hold(),
        with_session(agents_url(3, 0), VSA9_TOKEN)
            .reply(200, fixture!("vsa9/agents_page1.json"))
            .any_order(),
        with_session(ORGS_TOP1, VSA9_TOKEN)
            .reply(200, fixture!("vsa9/orgs_top1.json"))
            .any_order(),
        with_session(agents_url(3, 3), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page2.json")),
        with_session(agents_url(3, 6), VSA9_TOKEN).reply(200, fixture!("vsa9/agents_page3.json")),
    ]);
    assert_eq!(c.sent_to(VSA9_AUTH_URL), 1);
    let report = expect_connection(&events, test);
    assert!(report.ok);
    let (list_requests, items) = expect_done(&events, list);
    assert_eq!(items, 7);
    assert_eq!(
        list_requests + report.requests_made,
        5,
        "the logon is counted once, by the job that asked for it"
    );

    // A job started later reuses the session.
    let again = c.client.start_test_connection();
    let events = c.run(vec![
        with_session(ORGS_TOP1, VSA9_TOKEN).reply(200, fixture!("vsa9/orgs_top1.json"))
    ]);
    assert_eq!(expect_connection(&events, again).requests_made, 1);
    assert_clean(&c);
}

#[test]
fn secrets_echoed_by_the_server_are_redacted() {
    let mut c = Conversation::new(vsa9_client());
    let job = c
        .client
        .start_list("system/orgs", &ListOptions::default())
        .unwrap();
    let echo = json!({
        "Result": null,
        "ResponseCode": 500,
        "Status": "Error",
        "Error": format!("Session {VSA9_TOKEN} of alice (PAT {VSA9_PAT}) could not be loaded"),
    });
    let events = c.run(vec![
        logon().reply(200, fixture!("vsa9/auth_ok.json")),
        with_session(
            "https://vsa.example.com/api/v1.0/system/orgs?$top=100&$skip=0",
            VSA9_TOKEN,
        )
        .reply(500, echo.to_string().into_bytes())
        .retried(),
    ]);
    let (error, _) = expect_failed(&events, job);
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert_eq!(
        error.vendor_message(),
        Some("Session [redacted] of alice (PAT [redacted]) could not be loaded")
    );

    // A logon refused with the Authorization header echoed back.
    let mut c2 = Conversation::new(vsa9_client());
    let job = c2.client.start_test_connection();
    let echo = json!({
        "Result": null,
        "ResponseCode": 401,
        "Status": "Error",
        "Error": format!("Invalid credentials in {}", basic(VSA9_USER, VSA9_PAT)),
    });
    let events = c2.run(vec![logon().reply(401, echo.to_string().into_bytes())]);
    let error = expect_connection(&events, job).error.expect("error");
    assert_eq!(
        error.vendor_message(),
        Some("Invalid credentials in Basic [redacted]")
    );
    assert_clean(&c);
    assert_clean(&c2);
    assert!(!c.client.export_state().contains("7605"));
}
