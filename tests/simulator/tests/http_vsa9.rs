//! Kaseya VSA 9 REST over HTTP: /auth by personal access token or legacy hashed password,
//! Bearer sessions that expire (HTTP 200 with ResponseCode 401), /authx, the
//! TotalRecords/Result envelope, the 100 cap and Int32 filter literals.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use common::{basic, enc, small, Sim};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn h256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn h1(text: &str) -> String {
    hex(&Sha1::digest(text.as_bytes()))
}

/// The legacy Basic payload, built as VENDORS.md describes.
fn legacy_payload(username: &str, password: &str, nonce: u64) -> String {
    let n = nonce.to_string();
    let p2 = h256(&format!("{}{n}", h256(&format!("{password}{username}"))));
    let p1 = h1(&format!("{}{n}", h1(&format!("{password}{username}"))));
    let text = format!(
        "user={username},pass2={p2},pass1={p1},rpass2={},rpass1={},rand2={n}",
        h256(password),
        h1(password)
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Seconds since the epoch of `2026-11-22T12:30:00Z`.
fn parse_iso(text: &str) -> i64 {
    assert_eq!(text.len(), 20, "{text}");
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn auth_with_a_pat_returns_a_session() {
    let sim = Sim::small();
    let auth = sim.vsa9_pat_basic();
    let resp = sim.get("/api/v1.0/auth", &[("Authorization", auth.as_str())]);
    assert_eq!(resp.status, 200);
    let body = resp.json();
    assert_eq!(body["ResponseCode"], 0);
    assert_eq!(body["Status"], "OK");
    assert_eq!(body["Error"], "None");
    let result = &body["Result"];
    assert!(result["Token"].as_str().is_some_and(|t| t.len() >= 16));
    assert_eq!(result["UserName"], sim.cred("vsa9", "username"));
    assert_eq!(result["OffSetInMinutes"], 0);
    // Default lifetime 30 minutes.
    let expires = parse_iso(result["SessionExpiration"].as_str().unwrap());
    let ahead = expires - now_secs();
    assert!((1790..=1801).contains(&ahead), "{ahead}");
    // The user name is case-insensitive, as a VSA logon.
    let upper = basic(
        &sim.cred("vsa9", "username").to_uppercase(),
        sim.cred("vsa9", "token"),
    );
    assert_eq!(
        sim.get("/api/v1.0/auth", &[("Authorization", upper.as_str())])
            .status,
        200
    );
}

#[test]
fn legacy_password_payload_logs_on_and_a_wrong_one_is_401() {
    let sim = Sim::small();
    let (user, password) = (sim.cred("vsa9", "username"), sim.cred("vsa9", "password"));
    let auth = legacy_payload(user, password, 48_213_977);
    let resp = sim.get("/api/v1.0/auth", &[("Authorization", auth.as_str())]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let token = resp.json()["Result"]["Token"].as_str().unwrap().to_string();
    assert_eq!(sim.vsa9(&token, "system/orgs").status, 200);

    for wrong in [
        legacy_payload(user, "not-the-password", 48_213_977),
        legacy_payload("someone.else", password, 1),
        basic(user, "not-the-token"),
        basic("unknown", sim.cred("vsa9", "token")),
        // The password is not a PAT.
        basic(user, password),
        // The Data Warehouse token is not a REST token.
        sim.warehouse_basic(),
        "Bearer nothing".to_string(),
    ] {
        let resp = sim.get("/api/v1.0/auth", &[("Authorization", wrong.as_str())]);
        assert_eq!(resp.status, 401, "{wrong}");
        let body = resp.json();
        assert_eq!(body["ResponseCode"], 401);
        assert_eq!(body["Result"], Value::Null);
    }
    assert_eq!(sim.get("/api/v1.0/auth", &[]).status, 401);
}

#[test]
fn bearer_lists_use_the_total_records_envelope_capped_at_100() {
    let sim = Sim::start(small(&[("vsa9.agents", 150)]));
    let token = sim.vsa9_session();
    let orgs = sim.vsa9(&token, "system/orgs");
    assert_eq!(orgs.status, 200);
    let body = orgs.json();
    assert_eq!(body["TotalRecords"], 5);
    assert_eq!(body["Result"].as_array().unwrap().len(), 5);
    assert_eq!(
        (&body["ResponseCode"], &body["Status"], &body["Error"]),
        (&json!(0), &json!("OK"), &json!("None"))
    );
    assert!(body["Result"][0]["OrgId"].is_i64());

    let agents = sim.vsa9(&token, "assetmgmt/agents?$top=500").json();
    assert_eq!(agents["TotalRecords"], 150);
    assert_eq!(
        agents["Result"].as_array().unwrap().len(),
        100,
        "capped at 100"
    );
    let rest = sim
        .vsa9(&token, "assetmgmt/agents?$top=100&$skip=100")
        .json();
    assert_eq!(rest["Result"].as_array().unwrap().len(), 50);
    assert_ne!(agents["Result"][0], rest["Result"][0]);

    let id = agents["Result"][3]["AgentId"].as_str().unwrap().to_string();
    let one = sim.vsa9(&token, &format!("assetmgmt/agents/{id}")).json();
    assert_eq!(one["Result"], agents["Result"][3]);
    assert_eq!(one["ResponseCode"], 0);

    let ip = agents["Result"][3]["IPAddress"].as_str().unwrap();
    let filtered = sim
        .vsa9(
            &token,
            &format!(
                "assetmgmt/agents?$filter={}",
                enc(&format!("IPAddress eq '{ip}'"))
            ),
        )
        .json();
    let results = filtered["Result"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|a| a["IPAddress"] == ip));

    // No or unknown Bearer: a real 401.
    assert_eq!(sim.get("/api/v1.0/system/orgs", &[]).status, 401);
    let unknown = sim.vsa9("0123456789abcdef0123456789abcdef", "system/orgs");
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.json()["ResponseCode"], 401);
}

#[test]
fn an_int32_literal_too_large_is_a_400() {
    let sim = Sim::small();
    let token = sim.vsa9_session();
    let org = sim.vsa9(&token, "system/orgs").json()["Result"][0]["OrgId"]
        .as_i64()
        .unwrap();
    let ok = sim.vsa9(
        &token,
        &format!("system/orgs?$filter={}", enc(&format!("OrgId eq {org}"))),
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["TotalRecords"], 1);
    let too_big = sim.vsa9(
        &token,
        &format!("system/orgs?$filter={}", enc("OrgId eq 3000000000")),
    );
    assert_eq!(too_big.status, 400);
    let body = too_big.json();
    assert_eq!(body["ResponseCode"], 400);
    assert!(body["Error"].as_str().is_some_and(|e| !e.is_empty()));
    let max = sim.vsa9(
        &token,
        &format!("system/orgs?$filter={}", enc("OrgId eq 2147483647")),
    );
    assert_eq!(max.status, 200, "i32::MAX still fits");
}

#[test]
fn an_expired_session_is_http_200_with_response_code_401_and_authx_renews() {
    let mut config = small(&[]);
    // 1 simulated second at time scale 2.5: sessions last 400 ms.
    config.vsa9_session_secs = 1.0;
    config.time_scale = 2.5;
    let sim = Sim::start(config);
    let old = sim.vsa9_session();
    assert_eq!(sim.vsa9(&old, "system/orgs").json()["ResponseCode"], 0);

    std::thread::sleep(Duration::from_millis(250));
    let renewed = sim.vsa9(&old, "authx");
    assert_eq!(renewed.status, 200);
    let renewed = renewed.json();
    assert_eq!(renewed["ResponseCode"], 0);
    let new = renewed["Result"]["Token"].as_str().unwrap().to_string();
    assert_ne!(new, old);

    std::thread::sleep(Duration::from_millis(250));
    let expired = sim.vsa9(&old, "system/orgs");
    assert_eq!(
        expired.status, 200,
        "VSA 9 answers an expired session with 200"
    );
    let body = expired.json();
    assert_eq!(body["ResponseCode"], 401);
    assert_eq!(body["Result"], Value::Null);
    assert_eq!(sim.vsa9(&old, "authx").json()["ResponseCode"], 401);
    let fresh = sim.vsa9(&new, "system/orgs");
    assert_eq!(
        fresh.json()["ResponseCode"],
        0,
        "the renewed session lives on"
    );
}

#[test]
fn a_limited_user_gets_403_on_system_orgs() {
    let sim = Sim::small();
    let limited = &sim.run.sim.credentials.vsa9.limited;
    let auth = basic(&limited.username, &limited.token);
    let resp = sim.get("/api/v1.0/auth", &[("Authorization", auth.as_str())]);
    assert_eq!(resp.status, 200);
    let token = resp.json()["Result"]["Token"].as_str().unwrap().to_string();
    let orgs = sim.vsa9(&token, "system/orgs");
    assert_eq!(orgs.status, 403);
    assert_eq!(orgs.json()["ResponseCode"], 403);
    assert_eq!(sim.vsa9(&token, "system/orgs/1").status, 403);
    assert_eq!(sim.vsa9(&token, "assetmgmt/agents").status, 200);
    assert_eq!(sim.vsa9(&token, "system/machinegroups").status, 200);
}

#[test]
fn unknown_paths_are_404_in_the_envelope() {
    let sim = Sim::small();
    let token = sim.vsa9_session();
    let resp = sim.vsa9(&token, "nothing/here");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json()["ResponseCode"], 404);
    assert_eq!(sim.vsa9(&token, "system/orgs/999999").status, 404);
    let env = sim.vsa9(&token, "environment").json();
    assert_eq!(env["ResponseCode"], 0);
}
