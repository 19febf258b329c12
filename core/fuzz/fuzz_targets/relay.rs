//! The relay check: `check_relay_request` for every vendor, method and policy, and
//! `relay_address_allowed` for addresses read from the input.
//!
//! Input: byte 0 picks vendor (bits 0-1), method (bits 2-3), simulator mode (bit 4) and
//! an allowed host (bit 5); the rest is the URL text, then after a 0x1E byte optional
//! header names, one per line.
//! Properties: an accepted target is https (http only to loopback in simulator mode), on
//! a vendor domain, loopback in simulator mode, or the allowed host; it has no userinfo
//! or fragment, no IP literal but loopback, a path under the vendor's API base without
//! `//` or dot segments, GET or POST, and only mspkit's own header names. A refusal is
//! unsafe_link (or nothing else) and never repeats a secret put in the URL's userinfo,
//! query, fragment or a header value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_core::relay::{check_relay_request, relay_address_allowed, RelayPolicy};
use mspkit_core::tenant_url::is_loopback;
use mspkit_core::{ErrorCode, Vendor};
use mspkit_fuzz::{check_url_error, is_autotask_host, Bytes, SECRET};
use url::Host;

const VENDORS: [Vendor; 4] = [
    Vendor::Vsax,
    Vendor::Vsa9,
    Vendor::Vsa9Warehouse,
    Vendor::Autotask,
];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "get"];
const HEADERS: [&str; 8] = [
    "Accept",
    "Authorization",
    "Content-Type",
    "Prefer",
    "ApiIntegrationCode",
    "UserName",
    "Secret",
    "ImpersonationResourceId",
];
const ALLOWED_HOST: &str = "vsa.fuzz.example";

fn under(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .and_then(|rest| rest.strip_suffix('.'))
        .is_some_and(|labels| !labels.split('.').any(str::is_empty))
}

fn vendor_host(vendor: Vendor, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match vendor {
        Vendor::Vsax => ["vsax.net", "kaseya.net", "kaseya.com"]
            .iter()
            .any(|d| under(&host, d)),
        Vendor::Vsa9 | Vendor::Vsa9Warehouse => {
            ["kaseya.net", "kaseya.com"].iter().any(|d| under(&host, d))
        }
        Vendor::Autotask => is_autotask_host(&host),
    }
}

fn api_path(vendor: Vendor, path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    match vendor {
        Vendor::Vsax => path.starts_with("/api/v3/"),
        Vendor::Vsa9 => path.starts_with("/api/v1.0/"),
        Vendor::Vsa9Warehouse => path.starts_with("/api/odata/1.0/"),
        Vendor::Autotask => lower.contains("/atservicesrest/v1.0/"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let flags = bytes.byte();
    let rest = String::from_utf8_lossy(bytes.rest()).into_owned();
    let (url_text, header_text) = rest.split_once('\u{1e}').unwrap_or((&rest, ""));
    let vendor = VENDORS[usize::from(flags & 3)];
    let method = METHODS[usize::from(flags >> 2 & 3)];
    let policy = RelayPolicy {
        simulator: flags & 0x10 != 0,
        allow_hosts: if flags & 0x20 != 0 {
            vec![ALLOWED_HOST.to_string()]
        } else {
            Vec::new()
        },
    };
    let headers: Vec<(String, String)> = header_text
        .lines()
        .map(|name| (name.to_string(), format!("Basic {SECRET}")))
        .collect();

    if let Ok(ip) = url_text.trim().parse::<std::net::IpAddr>() {
        let allowed = relay_address_allowed(ip, &policy);
        if ip.to_canonical().is_loopback() {
            assert_eq!(allowed, policy.simulator, "{ip}");
        }
    }

    let secret_variants = [
        url_text.to_string(),
        url_text.replacen("://", &format!("://u:{SECRET}@"), 1),
        format!("{url_text}?k={SECRET}"),
        format!("{url_text}#{SECRET}"),
    ];
    for text in &secret_variants {
        match check_relay_request(vendor, method, text, &headers, &policy) {
            Ok(target) => {
                let url = &target.url;
                assert!(matches!(method, "GET" | "POST"), "{method}");
                assert_eq!(target.method.as_str(), method);
                let loopback = is_loopback(url);
                if loopback {
                    assert!(policy.simulator, "loopback outside simulator mode: {url}");
                } else {
                    assert_eq!(url.scheme(), "https", "{url}");
                    let host = match url.host() {
                        Some(Host::Domain(d)) => d.to_string(),
                        other => panic!("an IP literal or no host accepted: {other:?}"),
                    };
                    assert!(
                        vendor_host(vendor, &host) || host.eq_ignore_ascii_case(ALLOWED_HOST),
                        "a host outside the policy: {url}"
                    );
                    if host.eq_ignore_ascii_case(ALLOWED_HOST) && !vendor_host(vendor, &host) {
                        assert!(!policy.allow_hosts.is_empty(), "{url}");
                    }
                }
                assert!(url.username().is_empty() && url.password().is_none(), "{url}");
                assert!(url.fragment().is_none(), "{url}");
                assert!(api_path(vendor, url.path()), "outside the API: {url}");
                assert!(!url.path().contains("//"), "{url}");
                assert!(
                    !url.path().split('/').any(|s| s == ".." || s == "."),
                    "{url}"
                );
                for (name, _) in &target.headers {
                    assert!(HEADERS.contains(&name.as_str()), "header {name:?} kept");
                }
                assert_eq!(target.headers.len(), headers.len());
            }
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::UnsafeLink, "{e}");
                check_url_error(&e, &[SECRET.to_string()]);
            }
        }
    }
});
