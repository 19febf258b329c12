//! The simulator's own surface: the in-process startup line (the binary's is in
//! binary.rs), /_sim stats, reset and ping, and that no secret ever shows up in what it
//! sends back.

mod common;

use std::time::Duration;

use common::{basic, check_startup_line, concurrently, config, enc, small, Sim};
use serde_json::json;

#[test]
fn the_in_process_startup_line_has_the_issue_s_keys_and_they_work() {
    let sim = Sim::small();
    assert_eq!(sim.cred("vsax", "tenant_url"), sim.origin());
    assert_eq!(sim.cred("vsa9", "server_url"), sim.origin());
    assert_eq!(
        sim.cred("autotask", "zone_discovery_url"),
        format!("{}/ATServicesRest/V1.0/zoneInformation", sim.origin())
    );
    assert_eq!(
        sim.line["stats_url"],
        format!("{}/_sim/stats", sim.origin())
    );
    check_startup_line(&sim.line);
    // The same seed gives the same credentials; another seed others.
    let again = Sim::small();
    assert_eq!(
        again.cred("vsax", "token_secret"),
        sim.cred("vsax", "token_secret")
    );
    let other = Sim::start(mspkit_sim::Config {
        seed: 2,
        ..small(&[])
    });
    assert_ne!(
        other.cred("vsax", "token_secret"),
        sim.cred("vsax", "token_secret")
    );
}

#[test]
fn stats_count_per_endpoint_with_statuses_faults_blocks_and_peak_concurrency() {
    let sim = Sim::start(config(
        &[],
        &[("vsax.failed", "2/1h:1h")],
        &[
            r#"{"vendor":"vsax","path":"devices","kind":"slow","delay_ms":250}"#,
            r#"{"vendor":"vsax","path":"sites","kind":"rate_limit","at":[2]}"#,
        ],
    ));
    let results = concurrently(3, |_| sim.vsax("devices").status);
    assert_eq!(results, [200, 200, 200]);
    assert_eq!(sim.vsax("sites").status, 200);
    assert_eq!(sim.vsax("sites").status, 429);
    let id = sim.vsax("organizations").json()["Data"][0]["Id"].clone();
    assert_eq!(sim.vsax(&format!("organizations/{id}")).status, 200);
    assert_eq!(sim.vsax("organizations/999999999").status, 404);
    assert_eq!(sim.vsax("organizations/999999998").status, 404);
    assert_eq!(sim.vsax("groups").status, 429, "blocked");

    let stats = sim.stats();
    let e = &stats["endpoints"];
    let devices = &e["vsax GET devices"];
    assert_eq!(devices["requests"], 3);
    assert_eq!(devices["status_2xx"], 3);
    assert_eq!(devices["faults"], 3);
    assert_eq!(devices["max_in_flight"], 3, "three at once");
    let sites = &e["vsax GET sites"];
    assert_eq!(
        (
            &sites["requests"],
            &sites["status_2xx"],
            &sites["status_429"],
            &sites["status_4xx"],
            &sites["faults"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(sites["max_in_flight"], 1);
    let one = &e["vsax GET organizations/{id}"];
    assert_eq!(
        (&one["requests"], &one["status_2xx"], &one["status_4xx"]),
        (&json!(3), &json!(1), &json!(2))
    );
    assert_eq!(e["vsax GET groups"]["blocked"], 1);
    assert_eq!(e["vsax GET groups"]["status_429"], 1);
    let vsax = &stats["vendors"]["vsax"];
    assert_eq!(vsax["requests"], 10);
    assert_eq!(vsax["faults"], 4);
    assert_eq!(vsax["blocked"], 1);
    assert_eq!(vsax["max_in_flight"], 3);
    assert_eq!(stats["records"]["vsax.devices"], 20);
    assert_eq!(stats["records"]["autotask.companies"], 30);
    assert!(stats["uptime_ms"].is_u64());
    // The simulator's own endpoints are not counted.
    assert!(e.as_object().unwrap().keys().all(|k| !k.contains("_sim")));
}

#[test]
fn reset_clears_counters_windows_blocks_and_sessions() {
    let limits = [("vsax.failed", "2/1h:1h"), ("vsax.default", "6/1h")];
    let sim = Sim::start(config(&[], &limits, &[]));
    let token = sim.vsa9_session();
    assert_eq!(sim.vsa9(&token, "system/orgs").status, 200);
    for _ in 0..2 {
        assert_eq!(sim.vsax("organizations/999999999").status, 404);
    }
    assert_eq!(sim.vsax("devices").status, 429, "blocked for an hour");
    assert_eq!(sim.stats()["vsa9_sessions"], 1);

    sim.reset(&json!({}));
    let stats = sim.stats();
    assert_eq!(stats["endpoints"], json!({}), "counters cleared");
    assert_eq!(stats["vendors"], json!({}));
    assert_eq!(stats["vsa9_sessions"], 0);
    assert_eq!(stats["vsax_failed"]["blocks_started"], 0);
    assert_eq!(stats["limits"]["vsax.default"]["windows"][0]["peak"], 0);
    assert_eq!(sim.vsax("devices").status, 200, "the block is gone");
    let old = sim.vsa9(&token, "system/orgs");
    assert_eq!(old.status, 401, "sessions are forgotten");
    // Startup overrides stay: 6 per hour, 5 left after the request above.
    for _ in 0..5 {
        assert_eq!(sim.vsax("sites").status, 200);
    }
    assert_eq!(sim.vsax("sites").status, 429);
}

#[test]
fn reset_applies_overrides_and_an_empty_body_returns_to_the_startup_config() {
    let sim = Sim::small();
    sim.reset(&json!({
        "counts": {"vsax.devices": 7},
        "limits": {"vsax.default": "2/1h"},
        "time_scale": 10,
        "warehouse_page_size": 3,
        "faults": [{"vendor": "autotask", "kind": "status", "status": 503}],
    }));
    let stats = sim.stats();
    assert_eq!(stats["time_scale"], 10.0);
    assert_eq!(stats["records"]["vsax.devices"], 7);
    assert_eq!(sim.vsax("devices").json()["Meta"]["TotalCount"], 7);
    assert_eq!(sim.vsax("devices").status, 200);
    let refused = sim.vsax("devices");
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.header("retry-after"),
        Some("360"),
        "an hour at time scale 10"
    );
    let agents = |sim: &Sim| sim.warehouse("/api/odata/1.0/Agents", &[]).json()["value"].clone();
    assert_eq!(agents(&sim).as_array().unwrap().len(), 3);
    assert_eq!(
        sim.autotask("GET", "ThresholdInformation", None).status,
        503
    );

    // A session lifetime override: 10 s at time scale 20 lasts 500 ms.
    sim.reset(&json!({"vsa9_session": "10s", "time_scale": 20}));
    let token = sim.vsa9_session();
    assert_eq!(sim.vsa9(&token, "system/orgs").json()["ResponseCode"], 0);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(sim.vsa9(&token, "system/orgs").json()["ResponseCode"], 401);

    sim.reset(&json!({}));
    assert_eq!(sim.vsax("devices").json()["Meta"]["TotalCount"], 20);
    assert_eq!(
        sim.autotask("GET", "ThresholdInformation", None).status,
        200
    );
    assert_eq!(sim.stats()["time_scale"], 1.0);
    assert_eq!(agents(&sim).as_array().unwrap().len(), 20);
    // The same counts as at start give the same data.
    assert_eq!(
        sim.vsax("devices?$top=1").json()["Data"][0],
        Sim::small().vsax("devices?$top=1").json()["Data"][0]
    );
}

#[test]
fn a_bad_reset_body_is_a_400_that_names_the_problem_and_changes_nothing() {
    let sim = Sim::small();
    assert_eq!(sim.vsax("devices").status, 200);
    for (body, needle) in [
        (r#"{"limts":{}}"#, "limts"),
        (r#"{"limits":{"vsax.nope":"1/1s"}}"#, "vsax.nope"),
        (r#"{"limits":{"vsax.default":"ten/1s"}}"#, "ten"),
        (r#"{"counts":{"vsax.computers":1}}"#, "vsax.computers"),
        (
            r#"{"faults":[{"kind":"status","status":200}]}"#,
            "not an error status",
        ),
        (r#"{"faults":[{"kind":"teleport"}]}"#, "teleport"),
        (r#"{"size":"huge"}"#, "huge"),
        (r#"{"time_scale":0}"#, "0.001"),
        (r#"{"warehouse_page_size":0}"#, "page size"),
        (r#"{"vsa9_session":"soon"}"#, "soon"),
        ("not json", "not valid"),
    ] {
        let resp = sim.send("POST", "/_sim/reset", &[], Some(body.as_bytes()));
        assert_eq!(resp.status, 400, "{body}");
        let answer = resp.json();
        assert_eq!(answer["ok"], false);
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(needle), "{body}: {error}");
    }
    // Nothing was reset: the counters still hold the first request.
    assert_eq!(sim.endpoint("vsax GET devices")["requests"], 1);
    let ok = sim.send("POST", "/_sim/reset", &[], Some(b"  "));
    assert_eq!(ok.status, 200, "a blank body is an empty reset");
    assert_eq!(ok.json(), json!({"ok": true}));
}

#[test]
fn ping_and_the_control_endpoints_methods() {
    let sim = Sim::small();
    let pong = sim.get("/_sim/ping", &[]);
    assert_eq!(pong.status, 200);
    assert_eq!(pong.text(), "pong");
    assert_eq!(sim.get("/_sim/reset", &[]).status, 405);
    assert_eq!(sim.send("POST", "/_sim/stats", &[], Some(b"")).status, 405);
    assert_eq!(sim.get("/_sim/nothing", &[]).status, 404);
    assert_eq!(sim.get("/", &[]).status, 404);
    assert_eq!(sim.get("/api/v30/devices", &[]).status, 404);
    assert_eq!(
        sim.stats()["endpoints"],
        json!({}),
        "none of these is an API request"
    );
}

#[test]
fn no_secret_appears_in_any_error_response() {
    let mut leaky = config(&[], &[("vsax.failed", "2/1h:1h")], &[]);
    leaky.sentinel = Some("LEAKSENTINEL".into());
    let sim = Sim::start(leaky);
    for secret in sim.secrets() {
        assert!(
            secret.contains("LEAKSENTINEL"),
            "the sentinel is in every secret"
        );
    }
    let (user, secret, code) = sim.autotask_creds();
    let limited = &sim.run.sim.credentials.autotask.limited;
    let wrong_secret = format!("{secret}x");
    let vsax_wrong = basic(
        sim.cred("vsax", "token_id"),
        &format!("{}x", sim.cred("vsax", "token_secret")),
    );
    let vsa9_wrong = basic(
        sim.cred("vsa9", "username"),
        &format!("{}x", sim.cred("vsa9", "token")),
    );
    let wrong_bearer = format!("Bearer {}", sim.cred("vsa9", "token"));
    let get_as = |path: &str, auth: &str| sim.get(path, &[("Authorization", auth)]);
    let query = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
    let query_as = |creds| sim.autotask_as(creds, "POST", "Companies/query", Some(&query));
    let responses = vec![
        get_as("/api/v3/devices", &vsax_wrong),
        get_as("/api/v3/organizations", &sim.vsax_limited_basic()),
        get_as("/api/v1.0/auth", &vsa9_wrong),
        get_as("/api/v1.0/system/orgs", &wrong_bearer),
        get_as("/api/odata/1.0/Agents", &vsa9_wrong),
        query_as((user, &wrong_secret, code)),
        query_as((user, secret, &wrong_secret)),
        query_as((&limited.username, &limited.secret, code)),
        sim.autotask("GET", "Nothing/query", None),
        sim.get(
            &format!("/ATServicesRest/V1.0/zoneInformation?user={}", enc(secret)),
            &[],
        ),
        sim.vsax("devices"),
        sim.get("/_sim/stats", &[]),
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [401, 403, 401, 401, 401, 401, 500, 500, 404, 500, 429, 200],
        "a sample of errors (the last VSA X call is blocked)"
    );
    for resp in &responses {
        assert!(!resp.text().contains("LEAKSENTINEL"), "{}", resp.text());
        for (name, value) in &resp.headers {
            assert!(!value.contains("LEAKSENTINEL"), "{name}: {value}");
        }
    }
}
