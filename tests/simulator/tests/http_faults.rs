//! Injected faults over HTTP: every kind as a client meets it on the wire, which requests a
//! rule selects (vendor, path, method), when it fires (at, every, seeded rate, limit), and
//! the `faults` counter.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant, SystemTime};

use common::{config, split_raw, Config, Failure, Sim};
use serde_json::{json, Value};

fn with_faults(rules: &[Value]) -> Sim {
    let rules: Vec<String> = rules.iter().map(Value::to_string).collect();
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    Sim::start(config(&[], &[], &rules))
}

/// Sends `request` on a raw connection; checks the 200 response's body stops at half its
/// Content-Length, and returns that length.
fn assert_cut_in_half(sim: &Sim, request: &str) -> usize {
    let (bytes, _) = sim.raw(request);
    let (status, headers, body) = split_raw(&bytes);
    assert_eq!(status, 200);
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .expect("a Content-Length");
    assert_eq!(
        body.len(),
        length / 2,
        "half the promised bytes, then the close"
    );
    length
}

/// `GET /api/v3/devices` with the full token, which must fail on the wire.
fn vsax_devices_failure(sim: &Sim) -> Failure {
    let auth = sim.vsax_basic();
    let headers = [("Authorization", auth.as_str())];
    let result = sim.try_send("GET", "/api/v3/devices", &headers, None);
    result.expect_err("the client sees a failure, not a response")
}

#[test]
fn status_faults_come_with_json_html_text_or_empty_bodies() {
    let sim = with_faults(&[
        json!({"vendor": "vsax", "path": "organizations", "kind": "status", "status": 500, "body": "json"}),
        json!({"vendor": "vsax", "path": "sites", "kind": "status", "status": 502, "body": "html"}),
        json!({"vendor": "vsax", "path": "groups", "kind": "status", "status": 503, "body": "text"}),
        json!({"vendor": "vsax", "path": "assets", "kind": "status", "status": 504, "body": "empty"}),
        json!({"vendor": "autotask", "kind": "status", "status": 503}),
        json!({"vendor": "vsa9", "path": "orgs", "kind": "status", "status": 500}),
        json!({"vendor": "warehouse", "kind": "status", "status": 502}),
    ]);
    let json_fault = sim.vsax("organizations");
    assert_eq!(json_fault.status, 500);
    assert_eq!(
        json_fault.json(),
        json!({"Data": null, "Meta": {"ResponseCode": 500, "ErrorMessage": "Internal Server Error"}})
    );

    let html = sim.vsax("sites");
    assert_eq!(html.status, 502);
    assert_eq!(html.header("content-type"), Some("text/html"));
    assert!(html.text().contains("<html>") && html.text().contains("502 Bad Gateway"));
    assert!(serde_json::from_slice::<Value>(&html.body).is_err());

    let text = sim.vsax("groups");
    assert_eq!(text.status, 503);
    assert!(text
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(text.text(), "Service Unavailable");

    let empty = sim.vsax("assets");
    assert_eq!(empty.status, 504);
    assert!(empty.body.is_empty());
    assert_eq!(empty.header("content-length"), Some("0"));

    assert_eq!(sim.vsax("devices").status, 200, "other paths untouched");

    let autotask = sim.autotask("POST", "Companies/query", Some(&json!({"filter": []})));
    assert_eq!(autotask.status, 503);
    assert_eq!(autotask.json(), json!({"errors": ["Service Unavailable"]}));

    let token = sim.vsa9_session();
    let vsa9 = sim.vsa9(&token, "system/orgs");
    assert_eq!(vsa9.status, 500);
    assert_eq!(vsa9.json()["ResponseCode"], 500);
    assert_eq!(sim.vsa9(&token, "system/machinegroups").status, 200);

    let warehouse = sim.warehouse("/api/odata/1.0/Agents", &[]);
    assert_eq!(warehouse.status, 502);
    assert!(warehouse.json()["error"]["message"].is_string());
}

#[test]
fn rate_limit_faults_send_retry_after_in_seconds_as_a_date_or_not_at_all() {
    let sim = with_faults(&[
        json!({"path": "organizations", "kind": "rate_limit", "seconds": 30}),
        json!({"path": "sites", "kind": "rate_limit", "seconds": 30, "retry_after": "date"}),
        json!({"path": "groups", "kind": "rate_limit", "retry_after": "none"}),
    ]);
    let seconds = sim.vsax("organizations");
    assert_eq!(seconds.status, 429);
    assert_eq!(seconds.header("retry-after"), Some("30"));
    assert_eq!(seconds.json()["Meta"]["ResponseCode"], 429);

    let dated = sim.vsax("sites");
    assert_eq!(dated.status, 429);
    let when =
        httpdate::parse_http_date(dated.header("retry-after").unwrap()).expect("an HTTP date");
    let ahead = when
        .duration_since(SystemTime::now())
        .expect("in the future")
        .as_secs();
    assert!((29..=32).contains(&ahead), "{ahead}");
    let date = httpdate::parse_http_date(dated.header("date").expect("a Date header"))
        .expect("Date is an HTTP date");
    let reference = when.duration_since(date).unwrap().as_secs();
    assert!((29..=32).contains(&reference), "against Date: {reference}");

    let none = sim.vsax("groups");
    assert_eq!(none.status, 429);
    assert_eq!(none.header("retry-after"), None);

    // Seconds are simulated: time scale 10 turns 30 into 3.
    let rule = r#"{"kind":"rate_limit","seconds":30,"vendor":"autotask"}"#;
    let scaled = Sim::start(Config {
        time_scale: 10.0,
        ..config(&[], &[], &[rule])
    });
    let resp = scaled.autotask("GET", "ThresholdInformation", None);
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("3"));
    assert!(resp.json()["errors"][0].is_string());
}

#[test]
fn truncate_cuts_the_json_body_in_half() {
    let sim = with_faults(&[json!({"path": "devices", "kind": "truncate", "at": [1]})]);
    let cut = sim.vsax("devices");
    let full = sim.vsax("devices");
    assert_eq!(cut.status, 200);
    assert_eq!(full.status, 200);
    assert_eq!(cut.body.len(), full.body.len() / 2);
    assert!(full.body.starts_with(&cut.body));
    assert_eq!(
        cut.header("content-length"),
        Some(cut.body.len().to_string().as_str()),
        "a complete response of a cut body"
    );
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    full.json();
}

#[test]
fn truncate_connection_closes_short_of_the_content_length() {
    let sim = with_faults(&[json!({"path": "devices", "kind": "truncate", "connection": true})]);
    let auth = sim.vsax_basic();
    let request = format!(
        "GET /api/v3/devices HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n",
        sim.run.addr
    );
    assert!(assert_cut_in_half(&sim, &request) > 100);

    // An HTTP client reports it as a failure, not a response.
    assert!(!vsax_devices_failure(&sim).to_string().is_empty());
    let stats = sim.endpoint("vsax GET devices");
    assert_eq!(stats["faults"], 2);

    // A large page (500 companies) is cut just the same.
    let rule = r#"{"vendor":"autotask","kind":"truncate","connection":true}"#;
    let sim = Sim::start(config(&[("autotask.companies", 500)], &[], &[rule]));
    let (user, secret, code) = sim.autotask_creds();
    let body = r#"{"filter":[{"op":"gte","field":"id","value":0}]}"#;
    let request = format!(
        "POST /ATServicesRest/V1.0/Companies/query HTTP/1.1\r\nHost: {}\r\nUserName: {user}\r\n\
         Secret: {secret}\r\nApiIntegrationCode: {code}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        sim.run.addr,
        body.len()
    );
    let length = assert_cut_in_half(&sim, &request);
    assert!(length > 50_000, "{length}");
}

#[test]
fn slow_delays_the_real_answer() {
    let sim = with_faults(&[json!({"vendor": "vsax", "kind": "slow", "delay_ms": 200, "at": [1]})]);
    let started = Instant::now();
    let slow = sim.vsax("devices");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(slow.status, 200);
    assert_eq!(slow.json()["Meta"]["TotalCount"], 20);
    let started = Instant::now();
    sim.vsax("devices");
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "only the first"
    );
}

#[test]
fn reset_drops_the_connection_without_a_response() {
    let sim = with_faults(&[json!({"vendor": "vsax", "kind": "reset", "at": [1, 2]})]);
    let auth = sim.vsax_basic();
    let request = format!(
        "GET /api/v3/devices HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\n\r\n",
        sim.run.addr
    );
    let (bytes, error) = sim.raw(&request);
    assert!(
        bytes.is_empty(),
        "no response at all: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    let kind = error.map(|e| e.kind());
    assert_eq!(kind, Some(ErrorKind::ConnectionReset), "a TCP reset");

    assert!(!vsax_devices_failure(&sim).to_string().is_empty());
    assert_eq!(
        sim.vsax("devices").status,
        200,
        "the third request is answered"
    );
    let stats = sim.endpoint("vsax GET devices");
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["faults"], 2);
    assert_eq!(stats["status_2xx"], 1);
    assert_eq!(stats["status_5xx"], 0, "a reset has no status");
}

#[test]
fn foreign_next_link_points_every_vendor_s_next_link_at_another_origin() {
    let rules = [
        r#"{"vendor":"vsax","path":"devices","kind":"foreign_next_link"}"#,
        r#"{"vendor":"warehouse","kind":"foreign_next_link"}"#,
        r#"{"vendor":"autotask","kind":"foreign_next_link","origin":"http://other.example.invalid:8080"}"#,
    ];
    let sim = Sim::start(Config {
        warehouse_page_size: 5,
        ..config(&[], &[], &rules)
    });
    // VSA X: the page had no link (20 devices); the fault adds one.
    let page = sim.vsax("devices?$top=5").json();
    let link = page["Meta"]["NextQueryLink"].as_str().unwrap();
    assert!(
        link.starts_with("https://evil.example.invalid/api/v3/devices"),
        "{link}"
    );
    assert_eq!(
        page["Data"].as_array().unwrap().len(),
        5,
        "the data is real"
    );

    let page = sim.warehouse("/api/odata/1.0/Agents", &[]).json();
    let link = page["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.starts_with("https://evil.example.invalid/api/odata/1.0/Agents?"),
        "{link}"
    );
    assert!(
        link.contains("$skiptoken=5"),
        "the path and query a real link has: {link}"
    );

    let body = json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 10});
    let page = sim.autotask("POST", "Companies/query", Some(&body)).json();
    let link = page["pageDetails"]["nextPageUrl"].as_str().unwrap();
    assert!(
        link.starts_with(
            "http://other.example.invalid:8080/ATServicesRest/V1.0/Companies/query/next?paging="
        ),
        "{link}"
    );
    assert_eq!(sim.endpoint("vsax GET devices")["faults"], 1);
}

#[test]
fn rules_select_by_vendor_path_and_method() {
    let sim = with_faults(&[
        json!({"vendor": "autotask", "method": "get", "kind": "status", "status": 503}),
        json!({"path": "sites", "kind": "status", "status": 500}),
    ]);
    let everything = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
    assert_eq!(
        sim.autotask("POST", "Companies/query", Some(&everything))
            .status,
        200
    );
    assert_eq!(
        sim.autotask("GET", "ThresholdInformation", None).status,
        503
    );
    assert_eq!(sim.vsax("devices").status, 200, "GET on another vendor");
    assert_eq!(sim.vsax("sites").status, 500);
    assert_eq!(sim.vsax("organizations").status, 200);
    let token = sim.vsa9_session();
    assert_eq!(sim.vsa9(&token, "system/orgs").status, 200);
    let stats = sim.stats();
    assert_eq!(stats["vendors"]["autotask"]["faults"], 1);
    assert_eq!(stats["vendors"]["vsax"]["faults"], 1);
    assert_eq!(stats["vendors"]["vsa9"]["faults"], 0);
    assert_eq!(stats["endpoints"]["vsax GET sites"]["faults"], 1);
    assert_eq!(stats["endpoints"]["vsax GET sites"]["status_5xx"], 1);
}

fn statuses(sim: &Sim, n: usize) -> Vec<u16> {
    (0..n).map(|_| sim.vsax("devices").status).collect()
}

/// Which of the next `n` device requests get a 503.
fn positions_of_503(sim: &Sim, n: usize) -> Vec<usize> {
    let statuses = statuses(sim, n).into_iter().enumerate();
    statuses
        .filter(|(_, s)| *s == 503)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn at_every_and_limit_script_the_positions() {
    let at =
        with_faults(&[json!({"path": "devices", "kind": "status", "status": 500, "at": [2, 4]})]);
    assert_eq!(statuses(&at, 5), [200, 500, 200, 500, 200]);
    assert_eq!(at.endpoint("vsax GET devices")["faults"], 2);

    let every = with_faults(&[
        json!({"path": "devices", "kind": "status", "status": 502, "every": 3, "limit": 2}),
    ]);
    assert_eq!(
        statuses(&every, 10),
        [200, 200, 502, 200, 200, 502, 200, 200, 200, 200],
        "every 3rd, at most twice"
    );

    let limited =
        with_faults(&[json!({"path": "devices", "kind": "status", "status": 503, "limit": 1})]);
    assert_eq!(statuses(&limited, 3), [503, 200, 200]);

    // Positions count only the requests the rule selects.
    let sim =
        with_faults(&[json!({"path": "devices", "kind": "status", "status": 500, "at": [2]})]);
    assert_eq!(sim.vsax("sites").status, 200);
    assert_eq!(sim.vsax("devices").status, 200);
    assert_eq!(sim.vsax("sites").status, 200);
    assert_eq!(sim.vsax("devices").status, 500);
}

#[test]
fn a_seeded_rate_fires_at_the_same_positions_every_run() {
    let run = |seed: u64| {
        let rule = r#"{"path":"devices","kind":"status","status":503,"rate":0.3}"#;
        let sim = Sim::start(Config {
            seed,
            ..config(&[], &[], &[rule])
        });
        let positions = positions_of_503(&sim, 40);
        let counted = sim.endpoint("vsax GET devices")["faults"].as_u64().unwrap();
        assert_eq!(counted as usize, positions.len());
        // A reset starts the sequence again.
        sim.reset(&json!({}));
        assert_eq!(positions_of_503(&sim, 40), positions, "after a reset");
        positions
    };
    let first = run(7);
    assert!((4..=20).contains(&first.len()), "about 30%: {first:?}");
    assert_eq!(run(7), first, "same seed, same positions");
    assert_ne!(run(8), first, "another seed, other positions");
}
