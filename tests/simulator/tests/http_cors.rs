//! CORS for the browser demo: loopback origins are echoed (with Retry-After and Date
//! exposed), preflights answered, other origins get nothing.

mod common;

use common::{config, Resp, Sim};

const LOOPBACK: &str = "http://127.0.0.1:5555";

fn exposed(resp: &Resp) -> Vec<String> {
    resp.header("access-control-expose-headers")
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

#[test]
fn a_loopback_origin_is_echoed_with_retry_after_and_date_exposed() {
    let rule = r#"{"vendor":"vsax","path":"sites","kind":"rate_limit","seconds":5}"#;
    let sim = Sim::start(config(&[], &[], &[rule]));
    let auth = sim.vsax_basic();
    let ok = sim.get(
        "/api/v3/devices",
        &[("Authorization", auth.as_str()), ("Origin", LOOPBACK)],
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("access-control-allow-origin"), Some(LOOPBACK));
    assert_eq!(ok.header("vary"), Some("Origin"));
    let names = exposed(&ok);
    assert!(names.contains(&"retry-after".to_string()), "{names:?}");
    assert!(names.contains(&"date".to_string()), "{names:?}");

    // On errors too, where a browser needs Retry-After most.
    let limited = sim.get(
        "/api/v3/sites",
        &[("Authorization", auth.as_str()), ("Origin", LOOPBACK)],
    );
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("5"));
    assert_eq!(
        limited.header("access-control-allow-origin"),
        Some(LOOPBACK)
    );
    let denied = sim.get("/api/v3/devices", &[("Origin", LOOPBACK)]);
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("access-control-allow-origin"), Some(LOOPBACK));

    for origin in [
        "http://localhost:3000",
        "http://[::1]:8080",
        "https://127.0.0.1",
    ] {
        let resp = sim.get("/_sim/ping", &[("Origin", origin)]);
        assert_eq!(
            resp.header("access-control-allow-origin"),
            Some(origin),
            "{origin}"
        );
    }
}

#[test]
fn a_preflight_is_204_with_the_vendor_headers_allowed() {
    let sim = Sim::small();
    let resp = sim.send(
        "OPTIONS",
        "/ATServicesRest/V1.0/Companies/query",
        &[
            ("Origin", LOOPBACK),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "apiintegrationcode,username,secret,content-type",
            ),
        ],
        None,
    );
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
    assert_eq!(resp.header("access-control-allow-origin"), Some(LOOPBACK));
    let allowed: Vec<String> = resp
        .header("access-control-allow-headers")
        .unwrap()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for header in [
        "authorization",
        "apiintegrationcode",
        "username",
        "secret",
        "impersonationresourceid",
        "content-type",
        "prefer",
    ] {
        assert!(
            allowed.contains(&header.to_string()),
            "{header}: {allowed:?}"
        );
    }
    let methods = resp.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    assert!(resp.header("access-control-max-age").is_some());
    // A preflight is not an API request.
    assert_eq!(sim.stats()["endpoints"], serde_json::json!({}));
}

#[test]
fn other_origins_get_no_cors_headers() {
    let sim = Sim::small();
    let auth = sim.vsax_basic();
    for origin in [
        "https://evil.example.com",
        "http://127.0.0.1.evil.example.com",
        "http://localhost.evil.example.com:5555",
        "null",
        "http://10.0.0.5:5555",
    ] {
        let resp = sim.get(
            "/api/v3/devices",
            &[("Authorization", auth.as_str()), ("Origin", origin)],
        );
        assert_eq!(resp.status, 200);
        assert!(
            resp.headers
                .iter()
                .all(|(name, _)| !name.starts_with("access-control-")),
            "{origin}: {:?}",
            resp.headers
        );
        let preflight = sim.send(
            "OPTIONS",
            "/api/v3/devices",
            &[("Origin", origin), ("Access-Control-Request-Method", "GET")],
            None,
        );
        assert_ne!(preflight.status, 204, "{origin}");
        assert_eq!(preflight.header("access-control-allow-origin"), None);
    }
    let plain = sim.vsax("devices");
    assert_eq!(plain.header("access-control-allow-origin"), None);
}

#[test]
fn no_cors_turns_it_off() {
    let sim = Sim::start(common::Config {
        cors: false,
        ..common::small(&[])
    });
    let resp = sim.get("/_sim/ping", &[("Origin", LOOPBACK)]);
    assert_eq!(resp.header("access-control-allow-origin"), None);
    let preflight = sim.send(
        "OPTIONS",
        "/api/v3/devices",
        &[
            ("Origin", LOOPBACK),
            ("Access-Control-Request-Method", "GET"),
        ],
        None,
    );
    assert_ne!(preflight.status, 204);
}
