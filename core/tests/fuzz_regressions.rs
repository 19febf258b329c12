//! Inputs the cargo-fuzz targets (core/fuzz) found, pinned as plain tests through the
//! public API. Each test names the target that found it and what it broke.
//!
//! Run: `cargo test -p mspkit-core --test fuzz_regressions`.

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
/// the page's records silently. The same text anywhere in the envelope fails the page as
/// "not JSON", so the two paths disagree. Either outcome is fine here: the page is
/// refused as a bad response, or its records are readable (e.g. the escape replaced by
/// U+FFFD) and `to_values()` returns every one of them.
#[test]
#[ignore = "open core bug found by the fuzzer: a record with a lone surrogate escape or a \
            number beyond f64 is delivered, but Items::to_values() cannot read it (fix next: \
            refuse the page or read such records leniently)"]
fn records_serde_json_cannot_read_are_never_delivered_unreadable() {
    for record in [
        r#"{"Name":"\ud800"}"#,
        r#"{"Name":"\ud800x"}"#,
        r#"{"Name":"\udc00"}"#,
        r#"{"Name":"\ud83d\u0041"}"#,
        r#"{"Size":1e400}"#,
        r#"{"Size":-1e400}"#,
    ] {
        let body = format!(r#"{{"Data":[{record}],"Meta":{{"ResponseCode":200,"TotalCount":1}}}}"#);
        match first_page(&body) {
            Ok(page) => {
                let parsed: Result<Vec<serde_json::Value>, _> =
                    serde_json::from_str(page.items.as_json());
                assert!(
                    parsed.is_ok(),
                    "{record}: delivered items serde_json cannot read: {:?}",
                    parsed.err()
                );
                assert_eq!(
                    page.items.to_values().len(),
                    page.items.len(),
                    "{record}: to_values() lost records"
                );
            }
            Err(error) => assert_eq!(error.code(), ErrorCode::BadResponse, "{record}: {error}"),
        }
    }
}

/// The pair the fix must keep: a valid surrogate pair is an ordinary character.
#[test]
fn a_surrogate_pair_escape_is_delivered() {
    let body = r#"{"Data":[{"Name":"\ud83d\ude00"}],"Meta":{"ResponseCode":200,"TotalCount":1}}"#;
    let page = first_page(body).expect("a valid page");
    assert_eq!(page.items.to_values()[0]["Name"], "\u{1F600}");
}
