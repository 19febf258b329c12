//! The simulator's own surface: the startup line (in-process and from the binary), /_sim
//! stats, reset and ping, and that no secret ever shows up in what it sends back.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{basic, concurrently, enc, http, small, FaultRule, Sim};

/// The keys issue 4 lists, per section, and the extra ones the simulator adds.
const LISTED: &[(&str, &[&str])] = &[
    ("vsax", &["tenant_url", "token_id", "token_secret"]),
    (
        "vsa9",
        &[
            "server_url",
            "username",
            "token",
            "password",
            "warehouse_token",
        ],
    ),
    (
        "autotask",
        &[
            "zone_discovery_url",
            "username",
            "secret",
            "integration_code",
        ],
    ),
];

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// Checks the line's shape and that every credential in it works.
fn check_startup_line(line: &Value) {
    let top: BTreeSet<String> = keys(line);
    let expected_top: BTreeSet<String> = ["vsax", "vsa9", "autotask", "stats_url", "reset_url"]
        .map(String::from)
        .into();
    assert_eq!(top, expected_top, "top-level keys");
    for (section, listed) in LISTED {
        let have = keys(&line[section]);
        for key in *listed {
            assert!(
                line[section][key].as_str().is_some_and(|v| !v.is_empty()),
                "{section}.{key} is a non-empty string"
            );
        }
        // Extras beyond the issue's list: the limited credentials tests use for 403s,
        // and Autotask's zone URL.
        let extras: BTreeSet<&str> = have
            .iter()
            .map(String::as_str)
            .filter(|k| !listed.contains(k))
            .collect();
        let allowed: BTreeSet<&str> = if *section == "autotask" {
            ["limited", "zone_url"].into()
        } else {
            ["limited"].into()
        };
        assert_eq!(extras, allowed, "{section}: keys beyond the issue's list");
    }
    let s = |section: &str, key: &str| line[section][key].as_str().unwrap().to_string();

    // VSA X.
    let auth = basic(&s("vsax", "token_id"), &s("vsax", "token_secret"));
    let resp = http(
        "GET",
        &format!("{}/api/v3/organizations", s("vsax", "tenant_url")),
        &[("Authorization", &auth)],
        None,
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.json()["Meta"]["TotalCount"].as_u64().unwrap() > 0);

    // VSA 9: PAT session, then a list; Data Warehouse token.
    let server = s("vsa9", "server_url");
    let auth = basic(&s("vsa9", "username"), &s("vsa9", "token"));
    let resp = http(
        "GET",
        &format!("{server}/api/v1.0/auth"),
        &[("Authorization", &auth)],
        None,
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    let token = resp.json()["Result"]["Token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let resp = http(
        "GET",
        &format!("{server}/api/v1.0/system/orgs"),
        &[("Authorization", &bearer)],
        None,
    )
    .unwrap();
    assert_eq!(resp.json()["ResponseCode"], 0);
    let auth = basic(&s("vsa9", "username"), &s("vsa9", "warehouse_token"));
    let resp = http(
        "GET",
        &format!("{server}/api/odata/1.0/Agents"),
        &[("Authorization", &auth)],
        None,
    )
    .unwrap();
    assert_eq!(resp.status, 200);

    // Autotask: discover the zone, then query it.
    let user = s("autotask", "username");
    let resp = http(
        "GET",
        &format!(
            "{}?user={}",
            s("autotask", "zone_discovery_url"),
            enc(&user)
        ),
        &[],
        None,
    )
    .unwrap();
    let zone = resp.json()["url"].as_str().unwrap().to_string();
    assert_eq!(zone, s("autotask", "zone_url"));
    let (secret, code) = (s("autotask", "secret"), s("autotask", "integration_code"));
    let body = json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 1});
    let resp = http(
        "POST",
        &format!("{zone}V1.0/Companies/query"),
        &[
            ("UserName", &user),
            ("Secret", &secret),
            ("ApiIntegrationCode", &code),
            ("Content-Type", "application/json"),
        ],
        Some(body.to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["items"].as_array().unwrap().len(), 1);

    let stats = http("GET", line["stats_url"].as_str().unwrap(), &[], None).unwrap();
    assert_eq!(stats.status, 200);
    assert!(stats.json()["endpoints"].is_object());
    let reset = http(
        "POST",
        line["reset_url"].as_str().unwrap(),
        &[],
        Some(b"{}"),
    )
    .unwrap();
    assert_eq!(reset.status, 200);
}

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
    let mut config = small(&[]);
    config.seed = 2;
    let other = Sim::start(config);
    assert_ne!(
        other.cred("vsax", "token_secret"),
        sim.cred("vsax", "token_secret")
    );
}

/// Kills the child if the test fails before it exits.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn the_binary_prints_exactly_one_json_line_and_stops_when_stdin_closes() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
            .args(["--port", "0", "--size", "small"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.ends_with('\n'));
    let line: Value = serde_json::from_str(first.trim_end()).expect("one JSON line");
    assert!(line["vsax"]["tenant_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    check_startup_line(&line);

    // Closing stdin stops it, and nothing else was printed.
    drop(child.0.stdin.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after stdin closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}

#[test]
fn the_binary_stops_on_sigterm() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
            .args(["--size", "small", "--ignore-stdin"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let mut reader = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let line: Value = serde_json::from_str(first.trim_end()).unwrap();
    let ping = format!("{}/_sim/ping", line["vsax"]["tenant_url"].as_str().unwrap());
    assert_eq!(http("GET", &ping, &[], None).unwrap().text(), "pong");
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let started = Instant::now();
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        http("GET", &ping, &[], None).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn stats_count_per_endpoint_with_statuses_faults_blocks_and_peak_concurrency() {
    let mut config = small(&[]);
    config.limits.set("vsax.failed", "2/1h:1h").unwrap();
    config.faults.push(
        FaultRule::parse(r#"{"vendor":"vsax","path":"devices","kind":"slow","delay_ms":250}"#)
            .unwrap(),
    );
    config.faults.push(
        FaultRule::parse(r#"{"vendor":"vsax","path":"sites","kind":"rate_limit","at":[2]}"#)
            .unwrap(),
    );
    let sim = Sim::start(config);
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
    let mut config = small(&[]);
    config.limits.set("vsax.failed", "2/1h:1h").unwrap();
    config.limits.set("vsax.default", "6/1h").unwrap();
    let sim = Sim::start(config);
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
    let auth = sim.warehouse_basic();
    let page = sim.get("/api/odata/1.0/Agents", &[("Authorization", auth.as_str())]);
    assert_eq!(page.json()["value"].as_array().unwrap().len(), 3);
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
    let auth = sim.warehouse_basic();
    assert_eq!(
        sim.get("/api/odata/1.0/Agents", &[("Authorization", auth.as_str())])
            .json()["value"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
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
    let mut config = small(&[]);
    config.sentinel = Some("LEAKSENTINEL".into());
    config.limits.set("vsax.failed", "2/1h:1h").unwrap();
    let sim = Sim::start(config);
    for secret in sim.secrets() {
        assert!(
            secret.contains("LEAKSENTINEL"),
            "the sentinel is in every secret"
        );
    }
    let (user, secret, code) = sim.autotask_creds();
    let limited = sim.run.sim.credentials.autotask.limited.clone();
    let query = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
    let vsax_wrong = basic(
        &sim.cred("vsax", "token_id"),
        &format!("{}x", sim.cred("vsax", "token_secret")),
    );
    let vsa9_wrong = basic(
        &sim.cred("vsa9", "username"),
        &format!("{}x", sim.cred("vsa9", "token")),
    );
    let wrong_bearer = format!("Bearer {}", sim.cred("vsa9", "token"));
    let responses = vec![
        sim.get("/api/v3/devices", &[("Authorization", vsax_wrong.as_str())]),
        sim.get(
            "/api/v3/organizations",
            &[("Authorization", sim.vsax_limited_basic().as_str())],
        ),
        sim.get("/api/v1.0/auth", &[("Authorization", vsa9_wrong.as_str())]),
        sim.get(
            "/api/v1.0/system/orgs",
            &[("Authorization", wrong_bearer.as_str())],
        ),
        sim.get(
            "/api/odata/1.0/Agents",
            &[("Authorization", vsa9_wrong.as_str())],
        ),
        sim.autotask_as(
            "POST",
            "Companies/query",
            Some(&query),
            &user,
            &format!("{secret}x"),
            &code,
        ),
        sim.autotask_as(
            "POST",
            "Companies/query",
            Some(&query),
            &user,
            &secret,
            &format!("{secret}x"),
        ),
        sim.autotask_as(
            "POST",
            "Companies/query",
            Some(&query),
            &limited.username,
            &limited.secret,
            &code,
        ),
        sim.autotask_as("GET", "Nothing/query", None, &user, &secret, &code),
        sim.get(
            &format!("/ATServicesRest/V1.0/zoneInformation?user={}", enc(&secret)),
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
