//! `make bench-sim`: list requests per second the simulator serves on loopback.
//!
//! Starts a simulator in-process (realistic data, the limits of the measured endpoints
//! off, no Autotask latency) and drives it with a deliberately simple client: N threads
//! (`SIM_BENCH_THREADS`, default 8), each a raw `TcpStream` speaking HTTP/1.1 keep-alive
//! (write the request, read the status line and headers, read exactly Content-Length
//! bytes, reconnect when the server closes). Each scenario runs for `SIM_BENCH_SECS`
//! (default 2) after a short warm-up:
//!
//! - ping: GET /_sim/ping, the baseline (the cheapest answer the server gives);
//! - vsax-devices: VSA X GET /api/v3/devices?$top=100&$skip=K, K cycling through the data;
//! - vsax-devices-filter: the same with `$filter=contains(tolower(Name), 'ws')`;
//! - autotask-companies: POST Companies/query, maxRecords 500, pages cycling;
//! - vsa9-agents: GET assetmgmt/agents?$top=100&$skip=K with a Bearer session.
//!
//! One line per scenario on stdout:
//!
//!   throughput <scenario> rps=<n> body_mb_s=<x> p50_us=<n> p99_us=<n> non2xx=<n> io_errors=<n> vs_ping=<x>
//!
//! vs_ping is the scenario's requests/s over the ping baseline of the same run: the
//! figure to compare between machines and runs. A final `verdict` line says whether every
//! list scenario reached 2,000 requests/s ("several thousand": never the bottleneck when
//! clients are compared). Speed never fails the run; a non-2xx answer or an I/O failure
//! does (exit status 1).
//!
//! `cargo bench -p mspkit-sim --bench throughput -- <part of a name>` runs the ping
//! baseline and the matching scenarios only. Without `--bench` (`cargo test
//! --all-targets`) every scenario runs a few requests on two threads and checks the
//! answers, with no timing.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use mspkit_sim::Config;
use serde_json::{json, Value};

/// A list scenario below this many requests/s could be the bottleneck of a comparison.
const ENOUGH_RPS: f64 = 2000.0;

/// One answer, as far as the client reads it.
struct Answer {
    status: u16,
    body_len: usize,
}

/// A keep-alive HTTP/1.1 connection that reconnects when the server closes it.
struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    line: Vec<u8>,
    body: Vec<u8>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            line: Vec::with_capacity(256),
            body: Vec::with_capacity(256 * 1024),
        }
    }

    /// Sends `request` (complete bytes) and reads the answer; the body stays in
    /// `self.body`. A connection the server had closed is reopened once.
    fn send(&mut self, request: &[u8]) -> io::Result<Answer> {
        let reused = self.stream.is_some();
        match self.exchange(request) {
            Ok(answer) => Ok(answer),
            Err(e) if reused && is_closed(&e) => {
                self.stream = None;
                self.exchange(request)
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    fn exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::with_capacity(64 * 1024, stream));
        }
        let Some(reader) = self.stream.as_mut() else {
            unreachable!("connected above")
        };
        reader.get_mut().write_all(request)?;
        // Status line.
        self.line.clear();
        if reader.read_until(b'\n', &mut self.line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let status = parse_status(&self.line)?;
        // Headers.
        let mut length: Option<usize> = None;
        let mut close = false;
        loop {
            self.line.clear();
            if reader.read_until(b'\n', &mut self.line)? == 0 {
                return Err(bad("connection closed inside the headers"));
            }
            let line = trim_crlf(&self.line);
            if line.is_empty() {
                break;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Err(bad("a header line without a colon"));
            };
            let (name, value) = (&line[..colon], trim_ascii(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"content-length") {
                let text = std::str::from_utf8(value).map_err(|_| bad("Content-Length"))?;
                length = Some(text.parse().map_err(|_| bad("Content-Length"))?);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                return Err(bad("chunked answers are not expected from the simulator"));
            } else if name.eq_ignore_ascii_case(b"connection") {
                close = value.eq_ignore_ascii_case(b"close");
            }
        }
        let body_len = match (status, length) {
            (100..=199 | 204 | 304, _) => 0,
            (_, Some(n)) => n,
            (_, None) => return Err(bad("an answer without Content-Length")),
        };
        self.body.resize(body_len, 0);
        reader.read_exact(&mut self.body)?;
        if close {
            self.stream = None;
        }
        Ok(Answer { status, body_len })
    }

    fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn parse_status(line: &[u8]) -> io::Result<u16> {
    let text = std::str::from_utf8(trim_crlf(line)).map_err(|_| bad("status line"))?;
    let mut parts = text.splitn(3, ' ');
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => {
            code.parse().map_err(|_| bad("status code"))
        }
        _ => Err(bad("status line")),
    }
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(s), Some(e)) => &bytes[s..=e],
        _ => &[],
    }
}

/// A complete request: GET without a body, or with a JSON body.
fn request(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut text =
        format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

/// One scenario: the requests its threads send in turn (each thread starts at its own
/// offset, so the pages are spread over the threads).
struct Scenario {
    name: &'static str,
    list: bool,
    requests: Vec<Vec<u8>>,
}

/// What the threads of one scenario measured.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    body_bytes: u64,
    non_2xx: u64,
    /// The first few statuses other than 2xx, for the error message.
    odd_statuses: Vec<u16>,
    io_errors: u64,
    first_io_error: Option<String>,
    /// From the end of the warm-up to the last measured answer.
    elapsed: Duration,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.body_bytes += other.body_bytes;
        self.non_2xx += other.non_2xx;
        for s in other.odd_statuses {
            if self.odd_statuses.len() < 5 {
                self.odd_statuses.push(s);
            }
        }
        self.io_errors += other.io_errors;
        if self.first_io_error.is_none() {
            self.first_io_error = other.first_io_error;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
    }

    fn percentile(&self, p: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let rank = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us[rank]
    }
}

/// How long each thread keeps sending.
#[derive(Clone, Copy)]
enum Span {
    /// Warm up for the first, then measure for the second.
    Timed(Duration, Duration),
    /// Send this many requests per thread, all measured (the smoke test).
    Count(usize),
}

fn run(addr: SocketAddr, scenario: &Scenario, threads: usize, span: Span) -> Tally {
    let requests = &scenario.requests;
    let started = Instant::now();
    let results: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut conn = Conn::new(addr);
                    let mut tally = Tally::default();
                    let (warm_end, end) = match span {
                        Span::Timed(warm, measure) => (started + warm, started + warm + measure),
                        Span::Count(_) => (started, started),
                    };
                    let mut i = t * requests.len() / threads;
                    let mut sent = 0usize;
                    loop {
                        let now = Instant::now();
                        let measuring = match span {
                            Span::Timed(..) if now >= end => break,
                            Span::Timed(..) => now >= warm_end,
                            Span::Count(n) if sent >= n => break,
                            Span::Count(_) => true,
                        };
                        let request = &requests[i % requests.len()];
                        i += 1;
                        sent += 1;
                        let result = conn.send(request);
                        if !measuring {
                            if let Err(e) = result {
                                tally.io_errors += 1;
                                tally.first_io_error.get_or_insert(e.to_string());
                            }
                            continue;
                        }
                        let took = now.elapsed();
                        tally.elapsed = tally.elapsed.max((now + took) - warm_end);
                        match result {
                            Ok(answer) => {
                                tally.latencies_us.push(took.as_micros() as u32);
                                tally.body_bytes += answer.body_len as u64;
                                if !(200..300).contains(&answer.status) {
                                    tally.non_2xx += 1;
                                    if tally.odd_statuses.len() < 5 {
                                        tally.odd_statuses.push(answer.status);
                                    }
                                }
                            }
                            Err(e) => {
                                tally.io_errors += 1;
                                tally.first_io_error.get_or_insert(e.to_string());
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a client thread panicked"))
            .collect()
    });
    let mut total = Tally::default();
    for tally in results {
        total.merge(tally);
    }
    total.latencies_us.sort_unstable();
    total
}

/// Sends one setup request and returns its JSON body; any failure ends the benchmark.
fn setup(conn: &mut Conn, request: &[u8], what: &str) -> Value {
    match conn.send(request) {
        Ok(answer) if (200..300).contains(&answer.status) => conn.json_body(),
        Ok(answer) => fail(&format!(
            "setup ({what}) answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&conn.body)
        )),
        Err(e) => fail(&format!("setup ({what}) failed: {e}")),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("throughput: {message}");
    std::process::exit(1)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .unwrap_or_else(|_| fail(&format!("{name}={text:?} is not a valid number"))),
        _ => default,
    }
}

/// The scenarios, with their requests built from the startup line and a few setup
/// requests (totals, page starts, a VSA 9 session).
fn scenarios(addr: SocketAddr, line: &Value) -> Vec<Scenario> {
    let host = addr.to_string();
    let text = |v: &Value, path: &[&str]| -> String {
        let mut at = v;
        for key in path {
            at = &at[*key];
        }
        at.as_str()
            .unwrap_or_else(|| fail(&format!("the startup line has no {}", path.join("."))))
            .to_string()
    };
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let mut conn = Conn::new(addr);

    // VSA X: Basic token auth, pages of 100 by $skip over the whole list.
    let vsax_auth = format!(
        "Basic {}",
        b64(format!(
            "{}:{}",
            text(line, &["vsax", "token_id"]),
            text(line, &["vsax", "token_secret"])
        ))
    );
    let vsax_pages = |conn: &mut Conn, extra: &str| -> Vec<Vec<u8>> {
        let get = |skip: usize| {
            request(
                &host,
                "GET",
                &format!("/api/v3/devices?$top=100&$skip={skip}{extra}"),
                &[("Authorization", &vsax_auth)],
                "",
            )
        };
        let first = setup(conn, &get(0), "VSA X devices");
        let total = first["Meta"]["TotalCount"].as_u64().unwrap_or(0) as usize;
        if total == 0 {
            fail("VSA X devices: the list is empty");
        }
        (0..total).step_by(100).map(get).collect()
    };
    let vsax_devices = vsax_pages(&mut conn, "");
    let vsax_filtered = vsax_pages(&mut conn, "&$filter=contains(tolower(Name),%20%27ws%27)");

    // Autotask: header auth, a query from each page start (found by paging once).
    let at_user = text(line, &["autotask", "username"]);
    let at_secret = text(line, &["autotask", "secret"]);
    let at_code = text(line, &["autotask", "integration_code"]);
    let at_query = |from: i64| {
        let body =
            json!({"filter": [{"op": "gte", "field": "id", "value": from}], "maxRecords": 500})
                .to_string();
        request(
            &host,
            "POST",
            "/ATServicesRest/V1.0/Companies/query",
            &[
                ("UserName", &at_user),
                ("Secret", &at_secret),
                ("ApiIntegrationCode", &at_code),
            ],
            &body,
        )
    };
    let mut at_requests = Vec::new();
    let mut from = 0i64;
    loop {
        let page = setup(&mut conn, &at_query(from), "Autotask Companies/query");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        at_requests.push(at_query(from));
        if page["pageDetails"]["nextPageUrl"].is_null() {
            break;
        }
        let last = items.iter().filter_map(|i| i["id"].as_i64()).max();
        from = last.unwrap_or_else(|| fail("Autotask: items without an id")) + 1;
    }
    if at_requests.is_empty() {
        fail("Autotask Companies: the list is empty");
    }

    // VSA 9: a session from /auth (Basic username:token), then Bearer.
    let vsa9_basic = format!(
        "Basic {}",
        b64(format!(
            "{}:{}",
            text(line, &["vsa9", "username"]),
            text(line, &["vsa9", "token"])
        ))
    );
    let auth = setup(
        &mut conn,
        &request(
            &host,
            "GET",
            "/api/v1.0/auth",
            &[("Authorization", &vsa9_basic)],
            "",
        ),
        "VSA 9 auth",
    );
    let bearer = format!("Bearer {}", text(&auth, &["Result", "Token"]));
    let vsa9_get = |skip: usize| {
        request(
            &host,
            "GET",
            &format!("/api/v1.0/assetmgmt/agents?$top=100&$skip={skip}"),
            &[("Authorization", &bearer)],
            "",
        )
    };
    let agents = setup(&mut conn, &vsa9_get(0), "VSA 9 agents");
    let total = agents["TotalRecords"].as_u64().unwrap_or(0) as usize;
    if total == 0 {
        fail("VSA 9 agents: the list is empty");
    }
    let vsa9_requests = (0..total).step_by(100).map(vsa9_get).collect();

    vec![
        Scenario {
            name: "ping",
            list: false,
            requests: vec![request(&host, "GET", "/_sim/ping", &[], "")],
        },
        Scenario {
            name: "vsax-devices",
            list: true,
            requests: vsax_devices,
        },
        Scenario {
            name: "vsax-devices-filter",
            list: true,
            requests: vsax_filtered,
        },
        Scenario {
            name: "autotask-companies",
            list: true,
            requests: at_requests,
        },
        Scenario {
            name: "vsa9-agents",
            list: true,
            requests: vsa9_requests,
        },
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; without it this is `cargo test --all-targets`.
    let benching = args.iter().any(|a| a == "--bench");
    let filter: Option<String> = args.into_iter().find(|a| !a.starts_with('-'));
    let threads: usize = env_number("SIM_BENCH_THREADS", 8usize).max(1);
    let secs: f64 = env_number("SIM_BENCH_SECS", 2.0f64);
    if !(secs.is_finite() && secs > 0.0) {
        fail("SIM_BENCH_SECS must be a positive number of seconds");
    }
    let measure = Duration::from_secs_f64(secs);
    let warm = Duration::from_secs_f64((secs / 4.0).clamp(0.1, 0.5));

    let mut config = Config {
        watch_stdin: false,
        autotask_latency: false,
        ..Config::default()
    };
    for name in [
        "vsax.default",
        "vsax.failed",
        "autotask.hourly",
        "autotask.threads",
    ] {
        config
            .limits
            .set(name, "off")
            .unwrap_or_else(|e| fail(&format!("limit {name}: {e}")));
    }
    let running =
        mspkit_sim::start(config).unwrap_or_else(|e| fail(&format!("starting the simulator: {e}")));
    let line = running.startup_line();
    let addr = running.addr;
    let scenarios = scenarios(addr, &line);

    if !benching {
        // The smoke test: every scenario answers 2xx to a few requests on two threads.
        for scenario in &scenarios {
            let tally = run(
                addr,
                scenario,
                2,
                Span::Count(scenario.requests.len().max(3)),
            );
            if tally.non_2xx > 0 || tally.io_errors > 0 {
                fail(&format!(
                    "{}: non-2xx={} (statuses {:?}) io_errors={} {}",
                    scenario.name,
                    tally.non_2xx,
                    tally.odd_statuses,
                    tally.io_errors,
                    tally.first_io_error.unwrap_or_default()
                ));
            }
        }
        println!(
            "throughput: {} scenarios answered 2xx; `make bench-sim` measures them",
            scenarios.len()
        );
        return;
    }

    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "# mspkit-sim on loopback: {threads} client threads (raw HTTP/1.1 keep-alive), server runtime 2 workers, {cores} cores, {secs} s per scenario after {} ms warm-up",
        warm.as_millis()
    );
    println!("# vs_ping = requests/s over the ping baseline of this run; client and server share the machine");
    let pages: Vec<String> = scenarios
        .iter()
        .filter(|s| s.list)
        .map(|s| format!("{} {}", s.name, s.requests.len()))
        .collect();
    println!(
        "# distinct pages each list scenario cycles through: {}",
        pages.join(", ")
    );
    let mut baseline: Option<f64> = None;
    let mut errors = Vec::new();
    let mut slow = Vec::new();
    for scenario in &scenarios {
        let is_baseline = scenario.name == "ping";
        if !is_baseline
            && filter
                .as_deref()
                .is_some_and(|f| !scenario.name.contains(f))
        {
            continue;
        }
        let tally = run(addr, scenario, threads, Span::Timed(warm, measure));
        let elapsed = tally.elapsed.as_secs_f64().max(1e-9);
        let rps = tally.latencies_us.len() as f64 / elapsed;
        let mb_s = tally.body_bytes as f64 / elapsed / 1e6;
        if is_baseline {
            baseline = Some(rps);
        }
        let ratio = baseline.map_or(0.0, |b| rps / b.max(1e-9));
        println!(
            "throughput {:<20} rps={:<8.0} body_mb_s={:<7.1} p50_us={:<6} p99_us={:<6} non2xx={} io_errors={} vs_ping={:.3}",
            scenario.name,
            rps,
            mb_s,
            tally.percentile(0.50),
            tally.percentile(0.99),
            tally.non_2xx,
            tally.io_errors,
            ratio
        );
        if tally.non_2xx > 0 || tally.io_errors > 0 {
            errors.push(format!(
                "{}: non-2xx={} (first statuses {:?}), io_errors={}{}",
                scenario.name,
                tally.non_2xx,
                tally.odd_statuses,
                tally.io_errors,
                tally
                    .first_io_error
                    .map(|e| format!(" (first: {e})"))
                    .unwrap_or_default()
            ));
        }
        if scenario.list && rps < ENOUGH_RPS {
            slow.push(format!("{} {rps:.0}/s", scenario.name));
        }
    }
    if slow.is_empty() {
        println!("verdict ok: every list scenario >= {ENOUGH_RPS:.0} requests/s");
    } else {
        println!(
            "verdict SLOW: below {ENOUGH_RPS:.0} requests/s: {}",
            slow.join(", ")
        );
    }
    drop(running);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("throughput: ERROR {e}");
        }
        std::process::exit(1);
    }
}
