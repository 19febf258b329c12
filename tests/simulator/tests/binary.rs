//! The `mspkit-sim` binary as scripts use it: exactly one JSON line on stdout, then serve
//! until stdin closes or SIGTERM arrives; bad options exit 2 with a message.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{check_startup_line, http, Failure, Resp};
use serde_json::Value;

/// The running binary; killed if a test fails before it exits.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Child {
    /// Its exit status, if it exits within 5 s.
    fn exits(&mut self) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Some(status) = self.0.try_wait().expect("the child's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn close_stdin(&mut self) {
        drop(self.0.stdin.take());
    }
}

/// Starts the binary with `args` and reads its first line, which must be one line of JSON.
/// Returns the rest of stdout too.
fn spawn(args: &[&str]) -> (Child, Value, BufReader<ChildStdout>) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mspkit-sim"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the simulator binary starts"),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a startup line");
    assert!(first.ends_with('\n'), "a whole line: {first:?}");
    let line = serde_json::from_str(first.trim_end()).expect("the startup line is JSON");
    (child, line, stdout)
}

/// `GET {origin}/_sim/ping`.
fn ping(origin: &str) -> Result<Resp, Failure> {
    http("GET", &format!("{origin}/_sim/ping"), &[], None)
}

#[test]
fn prints_one_startup_line_whose_credentials_work_and_stops_when_stdin_closes() {
    let (mut child, line, mut stdout) = spawn(&["--port", "0", "--size", "small"]);
    let origin = line["vsax"]["tenant_url"].as_str().expect("tenant_url");
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    assert_eq!(line["stats_url"], format!("{origin}/_sim/stats"));
    assert_eq!(ping(origin).expect("an answer").text(), "pong");
    check_startup_line(&line);

    // Closing stdin stops it, and nothing else was printed.
    child.close_stdin();
    let status = child.exits().expect("stdin closed: the simulator stops");
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}

#[test]
fn stops_on_sigterm_and_honours_ignore_stdin() {
    let (mut child, line, _stdout) = spawn(&["--size", "small", "--ignore-stdin"]);
    let origin = line["vsax"]["tenant_url"].as_str().unwrap();
    child.close_stdin();
    std::thread::sleep(Duration::from_millis(300));
    let running = child.0.try_wait().expect("status").is_none();
    assert!(running, "--ignore-stdin keeps it running");
    assert_eq!(ping(origin).expect("an answer").text(), "pong");
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.expect("kill runs").success());
    assert!(child.exits().is_some(), "still running after SIGTERM");
    assert!(ping(origin).is_err(), "nothing listens any more");
}

#[test]
fn exit_after_stops_it_by_itself() {
    let (mut child, _, _stdout) =
        spawn(&["--size", "small", "--ignore-stdin", "--exit-after", "0.3s"]);
    assert!(child.exits().is_some());
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
    let (mut child, line, _stdout) = spawn(&["--size", "small", "--sentinel", "SENTINEL42"]);
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
    child.close_stdin();
    assert!(child.exits().is_some());
}
