use super::*;
use Vendor::{Autotask, Vsa9, Vsa9Warehouse, Vsax};

fn open() -> RelayPolicy {
    RelayPolicy::default()
}

fn simulator() -> RelayPolicy {
    RelayPolicy {
        simulator: true,
        allow_hosts: Vec::new(),
    }
}

fn headers(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (n.to_string(), "value".to_string()))
        .collect()
}

fn check(vendor: Vendor, url: &str, policy: &RelayPolicy) -> Result<RelayTarget, Error> {
    check_relay_request(vendor, "GET", url, &headers(&["Accept"]), policy)
}

#[rustfmt::skip]
const ACCEPTED: &[(Vendor, &str)] = &[
    (Vsax, "https://acme.vsax.net/api/v3/devices?$top=100"),
    (Vsax, "https://acme.vsa.kaseya.net/api/v3/organizations"),
    (Vsax, "https://ACME.KASEYA.COM/api/v3/organizations"),
    (Vsax, "https://acme.vsax.net:8443/api/v3/devices"),
    (Vsa9, "https://vsa.kaseya.net/api/v1.0/auth"),
    (Vsa9, "https://vsa.kaseya.net/api/v1.0/system/orgs?$top=100"),
    (Vsa9Warehouse, "https://vsa.kaseya.net/api/odata/1.0/Agents"),
    (Autotask, "https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation?user=a%40b.com"),
    (Autotask, "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query"),
    (Autotask, "https://webservices15.autotask.net/atservicesrest/v1.0/Companies/query"),
];

/// Each refusal with a phrase the message must contain.
#[rustfmt::skip]
const REFUSED: &[(Vendor, &str, &str)] = &[
    (Vsax, "https://evil.example/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://evilvsax.net/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://vsax.net/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://acme.vsax.net.evil.example/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://acme.vsax.net./api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://a..vsax.net/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Vsax, "https://webservices15.autotask.net/api/v3/devices", "neither a host of Kaseya VSA X"),
    (Autotask, "https://acme.vsax.net/ATServicesRest/V1.0/Companies", "neither a host of Autotask PSA"),
    (Vsa9, "https://acme.vsax.net/api/v1.0/system/orgs", "neither a host of Kaseya VSA 9"),
    (Vsax, "https://127.0.0.1/api/v3/devices", "loopback host"),
    (Vsax, "http://localhost:8080/api/v3/devices", "loopback host"),
    (Vsax, "https://sub.localhost/api/v3/devices", "loopback host"),
    (Vsax, "https://[::1]/api/v3/devices", "loopback host"),
    (Vsax, "https://169.254.169.254/api/v3/devices", "IP address"),
    (Vsax, "https://10.0.0.1/api/v3/devices", "IP address"),
    (Vsax, "https://8.8.8.8/api/v3/devices", "IP address"),
    (Vsax, "https://[fe80::1]/api/v3/devices", "IP address"),
    (Vsax, "https://[2606:4700::1111]/api/v3/devices", "IP address"),
    (Vsax, "https://0x7f000001/api/v3/devices", "loopback host"),
    (Vsax, "file:///etc/passwd", "`file:` URL"),
    (Vsax, "gopher://acme.vsax.net/api/v3/", "`gopher:` URL"),
    (Vsax, "http://acme.vsax.net/api/v3/devices", "plain http://"),
    (Vsax, "https://user:pw@acme.vsax.net/api/v3/devices", "user name or password"),
    (Vsax, "https://acme.vsax.net/api/v3/devices#x", "fragment"),
    (Vsax, "https://acme.vsax.net/api/v2/devices", "outside the Kaseya VSA X API"),
    (Vsax, "https://acme.vsax.net/api/v3", "outside the Kaseya VSA X API"),
    (Vsax, "https://acme.vsax.net/api/v3/../../admin", "outside the Kaseya VSA X API"),
    (Vsax, "https://acme.vsax.net/api/v3/%2e%2e/%2e%2e/admin", "outside the Kaseya VSA X API"),
    (Vsax, "https://acme.vsax.net//api/v3/devices", "outside the Kaseya VSA X API"),
    (Vsa9, "https://vsa.kaseya.net/api/odata/1.0/Agents", "outside the Kaseya VSA 9 API"),
    (Vsa9Warehouse, "https://vsa.kaseya.net/api/v1.0/auth", "outside the Kaseya VSA 9 Data Warehouse API"),
    (Autotask, "https://webservices15.autotask.net/ATServicesRest/V1.0/", "outside the Autotask PSA API"),
    (Autotask, "https://webservices15.autotask.net/ATServicesRest/V2.0/Companies", "outside the Autotask PSA API"),
    (Vsax, "not a url", "could not be read"),
    (Vsax, "", "could not be read"),
];

#[test]
fn requests_mspkit_builds_for_vendor_hosts_are_accepted() {
    for (vendor, url) in ACCEPTED {
        let target = check(*vendor, url, &open()).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            target.url.as_str().to_ascii_lowercase(),
            url.to_ascii_lowercase().replace(":443", "")
        );
    }
}

#[test]
fn every_other_destination_is_refused_as_unsafe_link_naming_the_problem() {
    for (vendor, url, phrase) in REFUSED {
        let err = check(*vendor, url, &open()).expect_err(url);
        assert_eq!(err.code(), ErrorCode::UnsafeLink, "{url}");
        assert!(err.message().contains(phrase), "{url}: {}", err.message());
        assert!(err.remediation().contains("Nothing was sent"), "{url}");
    }
}

#[test]
fn simulator_mode_admits_loopback_over_http_but_still_checks_the_path() {
    let sim = simulator();
    for url in [
        "http://127.0.0.1:39949/api/v3/devices",
        "http://localhost:1/api/v3/devices",
        "https://[::1]:8443/api/v3/devices",
    ] {
        check(Vsax, url, &sim).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    check(
        Autotask,
        "http://127.0.0.1:9/ATServicesRest/V1.0/zoneInformation?user=x",
        &sim,
    )
    .unwrap();
    for url in [
        "http://127.0.0.1:39949/_sim/reset",
        "http://127.0.0.1:39949/api/v3",
        "http://169.254.169.254/api/v3/devices",
        "http://10.1.2.3/api/v3/devices",
        "http://acme.vsax.net/api/v3/devices",
    ] {
        let err = check(Vsax, url, &sim).expect_err(url);
        assert_eq!(err.code(), ErrorCode::UnsafeLink, "{url}");
    }
}

#[test]
fn operator_allowed_hosts_admit_on_premises_servers_exactly() {
    let policy = RelayPolicy {
        simulator: false,
        allow_hosts: vec![
            "vsa.acme.example".into(),
            ".msp.example".into(),
            "  ".into(),
            ".".into(),
        ],
    };
    check(Vsa9, "https://vsa.acme.example/api/v1.0/auth", &policy).unwrap();
    check(Vsa9, "https://VSA.ACME.EXAMPLE/api/v1.0/auth", &policy).unwrap();
    check(Vsa9, "https://eu.msp.example/api/v1.0/auth", &policy).unwrap();
    for url in [
        "https://msp.example/api/v1.0/auth",
        "https://x.vsa.acme.example/api/v1.0/auth",
        "https://vsa.acme.example.evil/api/v1.0/auth",
        "https://evilmsp.example/api/v1.0/auth",
        "http://vsa.acme.example/api/v1.0/auth",
    ] {
        check(Vsa9, url, &policy).expect_err(url);
    }
}

#[test]
fn only_get_and_post_are_relayed() {
    for method in ["PUT", "DELETE", "PATCH", "get", "CONNECT", ""] {
        let err = check_relay_request(Vsax, method, "https://acme.vsax.net/api/v3/x", &[], &open())
            .expect_err(method);
        assert!(
            err.message().contains("method"),
            "{method}: {}",
            err.message()
        );
    }
    let target =
        check_relay_request(Vsax, "POST", "https://acme.vsax.net/api/v3/x", &[], &open()).unwrap();
    assert_eq!(target.method, Method::Post);
}

#[test]
fn only_headers_mspkit_builds_are_kept_with_their_canonical_names() {
    let sent = headers(&[
        "authorization",
        "ACCEPT",
        "Secret",
        "UserName",
        "ApiIntegrationCode",
        "Prefer",
        "content-type",
        "ImpersonationResourceId",
    ]);
    let target = check_relay_request(
        Autotask,
        "POST",
        "https://webservices1.autotask.net/ATServicesRest/V1.0/Companies/query",
        &sent,
        &open(),
    )
    .unwrap();
    let names: Vec<&str> = target.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Authorization",
            "Accept",
            "Secret",
            "UserName",
            "ApiIntegrationCode",
            "Prefer",
            "Content-Type",
            "ImpersonationResourceId"
        ]
    );
    for bad in [
        "Cookie",
        "Host",
        "X-Forwarded-For",
        "Connection",
        "Transfer-Encoding",
        "Proxy-Authorization",
    ] {
        let err = check_relay_request(
            Vsax,
            "GET",
            "https://acme.vsax.net/api/v3/x",
            &headers(&[bad]),
            &open(),
        )
        .expect_err(bad);
        assert!(err.message().contains(bad), "{bad}: {}", err.message());
    }
}

#[test]
fn a_header_value_with_a_line_break_is_refused_without_quoting_it() {
    let sent = vec![(
        "Authorization".to_string(),
        "Basic SENTINEL\r\nHost: evil".to_string(),
    )];
    let err = check_relay_request(
        Vsax,
        "GET",
        "https://acme.vsax.net/api/v3/x",
        &sent,
        &open(),
    )
    .unwrap_err();
    assert!(err.message().contains("`Authorization`"));
    assert!(!format!("{err:?} {err}").contains("SENTINEL"));
}

#[test]
fn refusals_never_quote_the_query_or_userinfo() {
    for url in [
        "https://SENTINEL:SENTINEL@acme.vsax.net/api/v3/x",
        "https://evil.example/api/v3/x?token=SENTINEL",
        "https://acme.vsax.net/api/v3/x#SENTINEL",
    ] {
        let err = check(Vsax, url, &open()).unwrap_err();
        assert!(
            !format!("{err:?} {err} {}", err.remediation()).contains("SENTINEL"),
            "{url}"
        );
    }
}

#[test]
fn addresses_a_name_resolves_to_must_be_public() {
    let refused = [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "192.0.0.8",
        "198.18.0.1",
        "240.0.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
    ];
    for ip in refused {
        assert!(!relay_address_allowed(ip.parse().unwrap(), &open()), "{ip}");
    }
    for ip in ["8.8.8.8", "52.1.2.3", "2606:4700::1111", "::ffff:8.8.8.8"] {
        assert!(relay_address_allowed(ip.parse().unwrap(), &open()), "{ip}");
    }
    for ip in ["127.0.0.1", "127.5.5.5", "::1", "::ffff:127.0.0.1"] {
        assert!(
            relay_address_allowed(ip.parse().unwrap(), &simulator()),
            "{ip}"
        );
    }
    assert!(!relay_address_allowed(
        "10.0.0.1".parse().unwrap(),
        &simulator()
    ));
}
