//! Autotask zone URLs: `normalize_autotask_zone_url` (user and server source, with and
//! without loopback), `validate_zone_discovery_url`, and zone discovery responses whose
//! `url` is the fuzzed text, through a client.
//!
//! Input: byte 0 picks the flags; the rest is the URL text.
//! Properties: an accepted zone is https on autotask.net (or loopback when allowed), has
//! no userinfo, query or fragment, ends in /ATServicesRest/V1.0/ and normalises to itself;
//! a refusal is invalid_config (user) or unsafe_link (server) and never repeats a secret
//! put in the URL's userinfo, query or fragment; a client only ever contacts the zone it
//! accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_core::tenant_url::{
    is_loopback, normalize_autotask_zone_url, validate_zone_discovery_url, UrlSource,
};
use mspkit_core::{Error, ErrorCode};
use mspkit_fuzz::{
    check_url_error, is_autotask_host, run, Bytes, Jobs, Mode, Reply, Script, Setup, SECRET,
};
use url::Url;

fn check_host(url: &Url, loopback: bool) {
    let host = url.host_str().unwrap_or_default();
    if loopback && is_loopback(url) {
        assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    } else {
        assert_eq!(url.scheme(), "https", "{url}");
        assert!(
            matches!(url.host(), Some(url::Host::Domain(_))) && is_autotask_host(host),
            "zone on a non-Autotask host: {url}"
        );
    }
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "{url}"
    );
    assert!(url.query().is_none() && url.fragment().is_none(), "{url}");
}

fn check_refusal(e: &Error, source: UrlSource) {
    let want = match source {
        UrlSource::User => ErrorCode::InvalidConfig,
        UrlSource::Server => ErrorCode::UnsafeLink,
    };
    assert_eq!(e.code(), want, "{e}");
    check_url_error(e, &[SECRET.to_string()]);
}

/// `text` with a secret where a pasted credential sits: userinfo, query, fragment.
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

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let flags = bytes.byte();
    let text = String::from_utf8_lossy(bytes.rest()).into_owned();
    let loopback = flags & 1 != 0;

    if flags & 0x80 != 0 {
        // Through a client: zone discovery answers with this URL.
        let setup = [Setup::AutotaskDiscover, Setup::AutotaskKeyset][usize::from(flags >> 1 & 1)];
        let body = match flags >> 2 & 1 {
            0 => serde_json::json!({"zoneName": "Fuzz", "url": text, "ci": 15}).to_string(),
            _ => text.clone(),
        };
        run(&Script {
            setup,
            jobs: Jobs::from_bits(flags >> 3),
            mode: Mode::Sequence,
            clock_step_ms: 100,
            replies: vec![Reply::ok(body.as_bytes())],
        });
        return;
    }

    for source in [UrlSource::User, UrlSource::Server] {
        match normalize_autotask_zone_url(&text, loopback, source) {
            Ok(zone) => {
                check_host(&zone, loopback);
                assert!(zone.path().ends_with("/ATServicesRest/V1.0/"), "{zone}");
                let again = normalize_autotask_zone_url(zone.as_str(), loopback, UrlSource::Server);
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&zone),
                    "zone does not normalise to itself"
                );
                if !loopback {
                    // Loopback is an opt-in: without it, the same zone must be on Autotask.
                    assert!(!is_loopback(&zone));
                }
            }
            Err(e) => check_refusal(&e, source),
        }
        for variant in with_secrets(&text) {
            match normalize_autotask_zone_url(&variant, loopback, source) {
                Ok(zone) => check_host(&zone, loopback),
                Err(e) => check_refusal(&e, source),
            }
        }
    }
    match validate_zone_discovery_url(&text, loopback) {
        Ok(url) => {
            check_host(&url, loopback);
            assert!(!url.path().contains("//"), "{url}");
        }
        Err(e) => check_refusal(&e, UrlSource::User),
    }
    for variant in with_secrets(&text) {
        match validate_zone_discovery_url(&variant, loopback) {
            Ok(url) => check_host(&url, loopback),
            Err(e) => check_refusal(&e, UrlSource::User),
        }
    }
});
