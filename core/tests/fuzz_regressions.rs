//! Inputs the cargo-fuzz targets (core/fuzz) found, pinned as plain tests through the
//! public API. Each test names the target that found it and what it broke.
//!
//! Run: `cargo test -p mspkit-core --test fuzz_regressions`.

use serde_json::json;

use mspkit_core::{Action, Client, ClientOptions, Error, ErrorCode, Event, ListOptions, Page};

const T0: u64 = 1_795_348_800_000;

fn vsax_client() -> Client {
    Client::vsax(
        "acme.vsax.net",
        "fuzz-token-id",
        "FUZZSECRETvalue123",
        ClientOptions::default(),
    )
    .expect("valid configuration")
}

/// Lists VSA X devices and answers the first request with `body`: the first page, or the
/// error the job failed with.
fn first_page(body: &str) -> Result<Page, Error> {
    let mut client = vsax_client();
    client
        .start_list("devices", &ListOptions::default())
        .expect("valid list options");
    let Some(Action::Send(request)) = client.poll(T0) else {
        panic!("the list sends first");
    };
    client
        .handle_response(request.id, 200, &[], body.as_bytes(), T0 + 1)
        .expect("the request is in flight");
    match client.poll(T0 + 1) {
        Some(Action::Event(Event::Page(page))) => Ok(page),
        Some(Action::Event(Event::Failed { error, .. })) => Err(error),
        other => panic!("expected a page or a failure, got {other:?}"),
    }
}

/// Found by response_vsax, response_vsa9, response_warehouse, response_autotask and
/// response_sequence within seconds: a record holding a lone UTF-16 surrogate escape
/// (`"\ud800"`, as .NET serialisers write a string cut inside an emoji) or a number
/// beyond f64 (`1e400`) passed the core's delimiting of records (serde_json's RawValue
/// does not check either) and was delivered in a page whose JSON serde_json cannot read:
/// `Items::to_values()` returned an empty Vec while `len()` said 1, so a Rust host lost
/// the page's records silently. Fixed by repairing such records when a decoder fails on
/// them (`Items::repaired`, which `to_values()` uses): the lone surrogate becomes U+FFFD
/// and the number a string of its exact text. The page path itself stays a delimiting
/// pass, so ordinary pages pay nothing for it.
#[test]
fn records_serde_json_cannot_read_are_repaired_not_lost() {
    let repaired = [
        (r#"{"Name":"\ud800"}"#, json!({"Name": "\u{fffd}"})),
        (r#"{"Name":"\ud800x"}"#, json!({"Name": "\u{fffd}x"})),
        (r#"{"Name":"\udc00"}"#, json!({"Name": "\u{fffd}"})),
        (r#"{"Name":"\ud83d\u0041"}"#, json!({"Name": "\u{fffd}A"})),
        (r#"{"Name":"\ud83d\ude00"}"#, json!({"Name": "\u{1f600}"})),
        (r#"{"Size":1e400}"#, json!({"Size": "1e400"})),
        (r#"{"Size":-1e400}"#, json!({"Size": "-1e400"})),
    ];
    for (record, expected) in repaired {
        let body = format!(
            r#"{{"Data":[{{"Id":1}},{record}],"Meta":{{"ResponseCode":200,"TotalCount":2}}}}"#
        );
        let page = first_page(&body).unwrap_or_else(|e| panic!("{record}: {e}"));
        assert_eq!(page.items.len(), 2, "{record}");
        let fixed = page.items.repaired();
        let parsed: Vec<serde_json::Value> = serde_json::from_str(fixed.as_json())
            .unwrap_or_else(|e| panic!("{record}: repaired items serde_json cannot read: {e}"));
        assert_eq!(parsed, page.items.to_values(), "{record}");
        assert_eq!(parsed, [json!({"Id": 1}), expected], "{record}");
    }
}

/// An unreadable value outside the records fails the page with a message that names
/// where serde_json stopped, not just "could not be read".
#[test]
fn an_unreadable_envelope_names_the_cause() {
    let error = first_page(r#"{"Data":[],"Meta":{"ResponseCode":200,"TotalCount":1e400}}"#)
        .expect_err("the envelope cannot be read");
    assert_eq!(error.code(), ErrorCode::BadResponse);
    assert!(
        error.message().contains("number out of range"),
        "{}",
        error.message()
    );
}

/// The pair the fix must keep: a valid surrogate pair is an ordinary character.
#[test]
fn a_surrogate_pair_escape_is_delivered() {
    let body = r#"{"Data":[{"Name":"\ud83d\ude00"}],"Meta":{"ResponseCode":200,"TotalCount":1}}"#;
    let page = first_page(body).expect("a valid page");
    assert_eq!(page.items.to_values()[0]["Name"], "\u{1F600}");
}

/// Found by import_state: a state whose `vendor` field held other text (here a secret) was
/// refused with that text quoted ("The state belongs to a <text> client"). A damaged or
/// wrong file may hold anything there; the message now names only a known vendor.
#[test]
fn a_state_of_an_unknown_vendor_is_refused_without_quoting_it() {
    let mut client = vsax_client();
    let state = r#"{"v":1,"vendor":"autotaskFUZZSECRETvalue123","pacing":null}"#;
    let error = client.import_state(state).expect_err("not a VSA X state");
    assert_eq!(error.code(), ErrorCode::InvalidConfig);
    assert_eq!(
        error.message(),
        "The state belongs to a client of an unknown vendor, not of Kaseya VSA X"
    );
    let other = r#"{"v":1,"vendor":"autotask"}"#;
    let error = client.import_state(other).expect_err("not a VSA X state");
    assert_eq!(
        error.message(),
        "The state belongs to a client of Autotask PSA, not of Kaseya VSA X"
    );
}
