//! The `mspkit-sim` binary as scripts use it: one JSON line on stdout, then serve until
//! stdin closes or SIGTERM arrives; bad options exit 2 with a message.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the simulator binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a startup line");
    let json = serde_json::from_str(&line).expect("the startup line is JSON");
    (child, json)
}

fn get(origin: &str, path: &str) -> String {
    let addr = origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("the simulator listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    response
}

fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    false
}

#[test]
fn prints_the_startup_line_serves_and_stops_when_stdin_closes() {
    let (mut child, line) = spawn(&["--size", "small"]);
    for (vendor, keys) in [
        ("vsax", &["tenant_url", "token_id", "token_secret"][..]),
        (
            "vsa9",
            &[
                "server_url",
                "username",
                "token",
                "password",
                "warehouse_token",
            ][..],
        ),
        (
            "autotask",
            &[
                "zone_discovery_url",
                "username",
                "secret",
                "integration_code",
            ][..],
        ),
    ] {
        for key in keys {
            assert!(
                line[vendor][key].as_str().is_some_and(|v| !v.is_empty()),
                "{vendor}.{key} in {line}"
            );
        }
    }
    let stats_url = line["stats_url"].as_str().expect("stats_url");
    let origin = line["vsax"]["tenant_url"].as_str().expect("tenant_url");
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    assert_eq!(stats_url, format!("{origin}/_sim/stats"));
    assert!(get(origin, "/_sim/ping").ends_with("pong"));
    assert!(get(origin, "/_sim/stats").contains("\"records\""));

    drop(child.stdin.take());
    assert!(
        exits_within(&mut child, Duration::from_secs(5)),
        "stdin closed: the simulator stops"
    );
}

#[test]
fn stops_on_sigterm_and_honours_ignore_stdin() {
    let (mut child, _) = spawn(&["--size", "small", "--ignore-stdin"]);
    drop(child.stdin.take());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("status").is_none(),
        "--ignore-stdin keeps it running"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert!(exits_within(&mut child, Duration::from_secs(5)));
}

#[test]
fn exit_after_stops_it_by_itself() {
    let (mut child, _) = spawn(&["--size", "small", "--ignore-stdin", "--exit-after", "0.3s"]);
    assert!(exits_within(&mut child, Duration::from_secs(5)));
}

#[test]
fn bad_options_exit_2_with_a_message_and_help_exits_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
        .args(["--limit", "vsax.default=lots"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no startup line on a bad option");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("vsax.default"), "{stderr}");

    let help = Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
        .arg("--help")
        .output()
        .expect("runs");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--time-scale"));
}

#[test]
fn the_sentinel_is_in_every_secret() {
    let (mut child, line) = spawn(&["--size", "small", "--sentinel", "SENTINEL42"]);
    for (vendor, key) in [
        ("vsax", "token_secret"),
        ("vsa9", "token"),
        ("vsa9", "password"),
        ("vsa9", "warehouse_token"),
        ("autotask", "secret"),
    ] {
        let value = line[vendor][key].as_str().unwrap_or_default();
        assert!(value.contains("SENTINEL42"), "{vendor}.{key}");
    }
    drop(child.stdin.take());
    assert!(exits_within(&mut child, Duration::from_secs(5)));
}
