//! Tenant URL normalisation: `normalize_tenant_url` for every vendor, and every
//! constructor with the fuzzed text as its URL (VSA X tenant, VSA 9 and Data Warehouse
//! server, Autotask zone and zone discovery URL) and, after RS (0x1E), as its user name.
//!
//! Input: byte 0 picks the flags; the rest is `url` or `url RS username`.
//! Properties: an accepted base is https (http only for loopback when allowed), has no
//! userinfo, query or fragment, is exactly the vendor's API base path and normalises to
//! itself; the client's base_url is that base; a refusal is invalid_config and never
//! repeats the secret (the fixed one, or one put in the URL's userinfo, query or
//! fragment); a client's Debug and export_state never show the secret.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_core::tenant_url::{is_loopback, normalize_tenant_url};
use mspkit_core::{Client, ClientOptions, Error, ErrorCode, Vendor, Vsa9Auth};
use mspkit_fuzz::{basic, check_url_error, Bytes, CODE, RECORD_SEPARATOR, SECRET};

const VENDORS: [Vendor; 4] = [
    Vendor::Vsax,
    Vendor::Vsa9,
    Vendor::Vsa9Warehouse,
    Vendor::Autotask,
];

fn base_path(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Vsax => "/api/v3/",
        Vendor::Vsa9 => "/api/v1.0/",
        _ => "/api/odata/1.0/",
    }
}

/// Refusals may quote the URL's host and path (by design), where a fuzzed URL can carry
/// the secret; everywhere else it must not appear.
fn check_refusal(e: &Error, secrets: &[String]) {
    assert_eq!(e.code(), ErrorCode::InvalidConfig, "{e}");
    check_url_error(e, secrets);
}

fn with_secrets(text: &str) -> [String; 3] {
    let userinfo = match text.find("://") {
        Some(at) => format!("{}u:{SECRET}@{}", &text[..at + 3], &text[at + 3..]),
        None => format!("u:{SECRET}@{text}"),
    };
    [
        userinfo,
        format!("{text}?k={SECRET}"),
        format!("{text}#{SECRET}"),
    ]
}

fn check_normalize(vendor: Vendor, text: &str, loopback: bool) {
    match normalize_tenant_url(vendor, text, loopback) {
        Ok(base) => {
            assert_ne!(vendor, Vendor::Autotask, "Autotask has no tenant URL");
            if base.scheme() == "http" {
                assert!(
                    loopback && is_loopback(&base),
                    "plain http accepted: {base}"
                );
            } else {
                assert_eq!(base.scheme(), "https", "{base}");
            }
            assert!(base.host().is_some(), "{base}");
            assert!(
                base.username().is_empty() && base.password().is_none(),
                "{base}"
            );
            assert!(
                base.query().is_none() && base.fragment().is_none(),
                "{base}"
            );
            assert_eq!(base.path(), base_path(vendor), "{base}");
            let again = normalize_tenant_url(vendor, base.as_str(), loopback);
            assert_eq!(
                again.as_ref().ok(),
                Some(&base),
                "base does not normalise to itself"
            );
        }
        Err(e) => check_refusal(&e, &[]),
    }
    for variant in with_secrets(text) {
        match normalize_tenant_url(vendor, &variant, loopback) {
            Ok(base) => assert!(!base.as_str().contains(SECRET), "{base}"),
            Err(e) => check_refusal(&e, &[SECRET.to_string()]),
        }
    }
}

fn check_client(result: Result<Client, Error>, secrets: &[String], expected_base: Option<String>) {
    match result {
        Ok(client) => {
            if let Some(base) = expected_base {
                assert_eq!(client.base_url(), Some(base));
            }
            let mut debug = format!("{client:?}");
            if let Some(base) = client.base_url() {
                // A configured Autotask zone keeps its path prefix, which may be anything.
                debug = debug.replace(&format!("{base:?}"), "");
            }
            let state = client.export_state();
            for secret in secrets {
                assert!(
                    !debug.contains(secret.as_str()),
                    "Client Debug shows a secret"
                );
                assert!(
                    !state.contains(secret.as_str()),
                    "export_state shows a secret"
                );
            }
        }
        Err(e) => check_refusal(&e, secrets),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let flags = bytes.byte();
    let rest = bytes.rest();
    let mut fields = rest.splitn(2, |&b| b == RECORD_SEPARATOR);
    let text = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let user = fields
        .next()
        .map(|u| String::from_utf8_lossy(u).into_owned());
    let loopback = flags & 1 != 0;

    for vendor in VENDORS {
        check_normalize(vendor, &text, loopback);
    }

    let options = ClientOptions {
        allow_insecure_loopback: loopback,
        ..ClientOptions::default()
    };
    let base = |vendor| {
        normalize_tenant_url(vendor, &text, loopback)
            .ok()
            .map(|u| u.to_string())
    };
    let user_or = |default: &str| user.clone().unwrap_or_else(|| default.to_string());
    let secrets = |user: &str| vec![SECRET.to_string(), basic(user, SECRET)];
    let vsax_user = user_or("fuzz-token-id");
    check_client(
        Client::vsax(&text, &vsax_user, SECRET, options.clone()),
        &secrets(&vsax_user),
        base(Vendor::Vsax),
    );
    let vsa9_user = user_or("alice");
    let auth = if flags & 2 != 0 {
        Vsa9Auth::Password { nonce: 42 }
    } else {
        Vsa9Auth::Pat
    };
    check_client(
        Client::vsa9(&text, &vsa9_user, SECRET, auth, options.clone()),
        &secrets(&vsa9_user),
        base(Vendor::Vsa9),
    );
    check_client(
        Client::vsa9_warehouse(&text, &vsa9_user, SECRET, options.clone()),
        &secrets(&vsa9_user),
        base(Vendor::Vsa9Warehouse),
    );
    let at_user = user_or("apiuser@acme.example");
    let at_secrets = vec![SECRET.to_string(), CODE.to_string()];
    check_client(
        Client::autotask(&at_user, SECRET, CODE, Some(&text), None, options.clone()),
        &at_secrets,
        None,
    );
    check_client(
        Client::autotask(
            &at_user,
            SECRET,
            CODE,
            None,
            Some(u64::from(flags)),
            ClientOptions {
                zone_discovery_url: Some(text.clone()),
                ..options
            },
        ),
        &at_secrets,
        None,
    );
});
