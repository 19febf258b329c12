//! VSA X limits over HTTP: sliding windows per endpoint class, Notify's five windows at
//! once, the per-IP failed-request blocks, and `time_scale` shrinking all of them.

mod common;

use std::time::Duration;

use common::{basic, config, Config, Resp, Sim};
use serde_json::json;

fn with_limits(time_scale: f64, limits: &[(&str, &str)]) -> Sim {
    Sim::start(Config {
        time_scale,
        ..config(&[], limits, &[])
    })
}

fn retry_after(resp: &Resp) -> u64 {
    resp.header("retry-after")
        .unwrap_or_else(|| panic!("a {} without Retry-After", resp.status))
        .parse()
        .expect("Retry-After in seconds")
}

#[test]
fn the_request_past_a_lowered_default_limit_is_429_until_the_window_moves_on() {
    // 5 per simulated second, at time scale 2: a window of 500 ms.
    let sim = with_limits(2.0, &[("vsax.default", "5/1s")]);
    for i in 0..5 {
        assert_eq!(sim.vsax("devices").status, 200, "request {}", i + 1);
    }
    let refused = sim.vsax("devices");
    assert_eq!(refused.status, 429);
    assert_eq!(retry_after(&refused), 1, "the wait, rounded up to a second");
    let body = refused.json();
    assert_eq!(body["Data"], serde_json::Value::Null);
    assert_eq!(body["Meta"]["ResponseCode"], 429);
    // Another endpoint of the same class shares the window.
    assert_eq!(sim.vsax("organizations").status, 429);

    let stats = sim.stats();
    assert_eq!(stats["limits"]["vsax.default"]["rejected"], 2);
    assert_eq!(
        stats["limits"]["vsax.default"]["windows"][0]["span_ms"],
        500
    );
    assert_eq!(stats["limits"]["vsax.default"]["windows"][0]["peak"], 5);
    let devices = &stats["endpoints"]["vsax GET devices"];
    assert_eq!(devices["requests"], 6);
    assert_eq!(devices["status_2xx"], 5);
    assert_eq!(devices["status_429"], 1);
    assert_eq!(devices["status_4xx"], 1);
    assert_eq!(devices["blocked"], 0);
    // A 429 from the limiter is not a failed request.
    assert_eq!(stats["vsax_failed"]["failures"], 0);

    std::thread::sleep(Duration::from_millis(550));
    assert_eq!(sim.vsax("devices").status, 200, "admitted after the window");
}

#[test]
fn assets_and_group_packages_have_their_own_limits() {
    let sim = with_limits(
        1.0,
        &[("vsax.assets", "2/1h"), ("vsax.group_package", "1/1h")],
    );
    assert_eq!(sim.vsax("assets").status, 200);
    assert_eq!(sim.vsax("assets?$top=1").status, 200);
    let refused = sim.vsax("assets");
    assert_eq!(refused.status, 429);
    let wait = retry_after(&refused);
    assert!((3590..=3600).contains(&wait), "an hour's window: {wait}");
    assert_eq!(
        sim.vsax("devices").status,
        200,
        "other endpoints unaffected"
    );

    let group = sim.vsax("groups").json()["Data"][0]["Id"].clone();
    assert_eq!(
        sim.vsax(&format!("groups/{group}/package/windows")).status,
        200
    );
    assert_eq!(
        sim.vsax(&format!("groups/{group}/package/windows")).status,
        429
    );
    assert_eq!(sim.vsax(&format!("groups/{group}")).status, 200);
}

#[test]
fn notify_applies_its_documented_windows() {
    // Documented: 10 per 5 s (and 50/min, 200/5 min, 500/h, 2,000/day) all at once.
    let sim = Sim::small();
    let auth = sim.vsax_basic();
    let headers = [("Authorization", auth.as_str())];
    let body = json!({"InstanceId": "i-1", "Title": "t"});
    for i in 0..10 {
        let resp = sim.post_json("/api/v3/notifications", &headers, &body);
        assert_eq!(resp.status, 200, "notify {}", i + 1);
    }
    let refused = sim.post_json("/api/v3/notifications", &headers, &body);
    assert_eq!(refused.status, 429);
    assert!((1..=5).contains(&retry_after(&refused)));
    assert_eq!(
        sim.vsax("notifications").status,
        200,
        "GET is another class"
    );
    let windows = &sim.stats()["limits"]["vsax.notify"]["windows"];
    let limits: Vec<u64> = windows
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["limit"].as_u64().unwrap())
        .collect();
    assert_eq!(limits, [10, 50, 200, 500, 2000]);
}

#[test]
fn every_notify_window_counts_at_once() {
    // Time scale 4: the 1 s window lasts 250 ms, the hour 900 s.
    let sim = with_limits(4.0, &[("vsax.notify", "2/1s,3/1h")]);
    let auth = sim.vsax_basic();
    let headers = [("Authorization", auth.as_str())];
    let body = json!({"InstanceId": "i-1", "Title": "t"});
    let notify = || sim.post_json("/api/v3/notifications", &headers, &body);
    assert_eq!(notify().status, 200);
    assert_eq!(notify().status, 200);
    let short = notify();
    assert_eq!(short.status, 429);
    assert_eq!(retry_after(&short), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(notify().status, 200, "the short window moved on");
    let long = notify();
    assert_eq!(long.status, 429, "the hour window is full");
    let wait = retry_after(&long);
    assert!((890..=900).contains(&wait), "{wait}");
}

#[test]
fn failed_requests_block_the_ip_then_let_it_back() {
    // 3 failures in 10 s block for 2 s; time scale 4 makes the block 500 ms.
    let sim = with_limits(4.0, &[("vsax.failed", "3/10s:2s")]);
    assert_eq!(sim.vsax("devices").status, 200);
    for _ in 0..2 {
        assert_eq!(sim.vsax("organizations/999999999").status, 404);
    }
    assert_eq!(sim.vsax("devices").status, 200, "two failures do not block");
    assert_eq!(sim.vsax("organizations/999999999").status, 404);

    let blocked = sim.vsax("devices");
    assert_eq!(blocked.status, 429, "even a valid request is refused");
    assert_eq!(retry_after(&blocked), 1);
    assert_eq!(blocked.json()["Meta"]["ResponseCode"], 429);
    let wrong = sim.get("/api/v3/devices", &[]);
    assert_eq!(wrong.status, 429, "blocked before auth");

    let stats = sim.stats();
    let devices = &stats["endpoints"]["vsax GET devices"];
    assert_eq!(devices["blocked"], 2);
    assert_eq!(devices["status_429"], 2);
    assert_eq!(
        stats["endpoints"]["vsax GET organizations/{id}"]["status_4xx"],
        3
    );
    assert_eq!(
        stats["endpoints"]["vsax GET organizations/{id}"]["blocked"],
        0
    );
    assert_eq!(stats["vsax_failed"]["blocks_started"], 1);
    assert_eq!(stats["vsax_failed"]["failures"], 3);
    assert_eq!(stats["vsax_failed"]["windows"][0]["peak"], 3);
    assert_eq!(stats["vendors"]["vsax"]["blocked"], 2);

    std::thread::sleep(Duration::from_millis(550));
    assert_eq!(sim.vsax("devices").status, 200, "the block is over");
    assert_eq!(sim.stats()["vsax_failed"]["blocks_started"], 1);
}

#[test]
fn the_documented_failed_request_limit_blocks_for_a_minute() {
    let sim = Sim::small();
    let wrong = basic(sim.cred("vsax", "token_id"), "wrong-secret");
    // 401s and 403s are failed requests too.
    for i in 0..29 {
        let resp = sim.get("/api/v3/devices", &[("Authorization", wrong.as_str())]);
        assert_eq!(resp.status, 401, "failure {}", i + 1);
    }
    assert_eq!(sim.vsax("devices").status, 200);
    let limited = sim.vsax_limited_basic();
    let forbidden = sim.get(
        "/api/v3/organizations",
        &[("Authorization", limited.as_str())],
    );
    assert_eq!(forbidden.status, 403, "the 30th failure");
    let blocked = sim.vsax("devices");
    assert_eq!(blocked.status, 429);
    assert_eq!(retry_after(&blocked), 60);
    assert_eq!(sim.stats()["vsax_failed"]["blocks_started"], 1);
}

#[test]
fn time_scale_shrinks_an_hour_to_half_a_second() {
    let sim = with_limits(7200.0, &[("vsax.default", "3/1h")]);
    for _ in 0..3 {
        assert_eq!(sim.vsax("sites").status, 200);
    }
    let refused = sim.vsax("sites");
    assert_eq!(refused.status, 429);
    assert_eq!(retry_after(&refused), 1);
    let stats = sim.stats();
    assert_eq!(stats["time_scale"], 7200.0);
    assert_eq!(
        stats["limits"]["vsax.default"]["windows"][0]["span_ms"],
        500
    );
    std::thread::sleep(Duration::from_millis(550));
    assert_eq!(sim.vsax("sites").status, 200);
}
