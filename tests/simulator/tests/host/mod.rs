//! The host side of the end-to-end tests: the real mspkit core drives a real simulator
//! over HTTP on loopback. A short loop over `Client::poll` sends each request with ureq,
//! sleeps on the real clock, and records what happened: pages, items, failures,
//! connection reports and every exchange on the wire.

// Each test file compiles this module on its own, and none uses all of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mspkit_core::{
    Action, Client, ClientOptions, ConnectionReport, EndpointClass, Error, Event, JobId,
    PacingOptions, RateWindow, Request, RetryPolicy, TransportErrorKind, Vsa9Auth,
};
use mspkit_sim::data::Counts;
use mspkit_sim::faults::FaultRule;
use mspkit_sim::{Config, Running};
use serde_json::Value;

/// The host's clock: Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Sleeps until the wall clock reads `until_ms` (never wakes early).
fn sleep_until(until_ms: u64) {
    let deadline = UNIX_EPOCH + Duration::from_millis(until_ms);
    while let Ok(left) = deadline.duration_since(SystemTime::now()) {
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left);
    }
}

/// One request on the wire and how it ended.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// The time passed to `poll` that returned the request.
    pub sent_ms: u64,
    /// The time passed to `handle_response` / `handle_transport_error`.
    pub answered_ms: u64,
    /// None when the request got no response (see `transport`).
    pub status: Option<u16>,
    pub transport: Option<TransportErrorKind>,
}

/// A page as delivered.
#[derive(Debug, Clone)]
pub struct PageSeen {
    pub job: JobId,
    pub number: u32,
    pub count: usize,
    pub total: Option<u64>,
    pub cursor: String,
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub items: Vec<Value>,
    pub pages: Vec<PageSeen>,
    /// (job, requests_made, items)
    pub done: Vec<(JobId, u32, u64)>,
    /// (job, error, requests_made)
    pub failed: Vec<(JobId, Error, u32)>,
    pub reports: Vec<ConnectionReport>,
    pub exchanges: Vec<Exchange>,
    /// The run stopped on the caller's condition, not because the client went idle.
    pub stopped: bool,
    pub elapsed: Duration,
}

impl Outcome {
    /// The only connection report.
    pub fn report(&self) -> &ConnectionReport {
        assert_eq!(self.reports.len(), 1, "one connection report: {self:#?}");
        &self.reports[0]
    }

    /// The only failure.
    pub fn failure(&self) -> &(JobId, Error, u32) {
        assert_eq!(self.failed.len(), 1, "one failure: {self:#?}");
        &self.failed[0]
    }

    /// The cursor of the last page delivered.
    pub fn last_cursor(&self) -> String {
        self.pages.last().expect("a page").cursor.clone()
    }

    /// Requests sent (as the host saw them).
    pub fn sent(&self) -> usize {
        self.exchanges.len()
    }

    /// Exchanges whose URL contains `needle`.
    pub fn sent_to(&self, needle: &str) -> usize {
        self.exchanges
            .iter()
            .filter(|e| e.url.contains(needle))
            .count()
    }

    /// Exchanges answered with `status`.
    pub fn answered(&self, status: u16) -> usize {
        self.exchanges
            .iter()
            .filter(|e| e.status == Some(status))
            .count()
    }

    /// The items' `field` values as text, in delivery order.
    pub fn ids(&self, field: &str) -> Vec<String> {
        ids(&self.items, field)
    }
}

/// `field` of every item as text (numbers and strings alike); panics on a missing id.
pub fn ids(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| match item.get(field) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            other => panic!("item without {field}: {other:?} in {item}"),
        })
        .collect()
}

/// Asserts `ids` has exactly `expected` entries, none twice.
pub fn assert_exactly_once(ids: &[String], expected: usize) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "{} duplicates",
        ids.len() - unique.len()
    );
    assert_eq!(ids.len(), expected, "item count");
}

/// A response: status, headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// The host: an HTTP client with a timeout, and a safety deadline per run.
pub struct Driver {
    agent: ureq::Agent,
    /// A run taking longer than this is a hung test.
    pub deadline: Duration,
}

impl Driver {
    /// A driver whose requests time out after `timeout`.
    pub fn new(timeout: Duration) -> Driver {
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            // A fresh connection per request: ureq silently repeats a request that fails
            // on a reused connection, which would hide resets and cuts from the core.
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .redirects(0)
            .build();
        Driver {
            agent,
            deadline: Duration::from_secs(40),
        }
    }

    /// Polls until the client is idle.
    pub fn run(&self, client: &mut Client) -> Outcome {
        self.run_until(client, |_| false)
    }

    /// Polls until the client is idle or `stop` is true for an event (the run returns
    /// right after that event; the client keeps its jobs).
    pub fn run_until(&self, client: &mut Client, mut stop: impl FnMut(&Event) -> bool) -> Outcome {
        let started = Instant::now();
        let mut out = Outcome::default();
        loop {
            assert!(
                started.elapsed() < self.deadline,
                "the run took longer than {:?}: {} requests so far",
                self.deadline,
                out.exchanges.len()
            );
            let now = now_ms();
            let Some(action) = client.poll(now) else {
                break;
            };
            match action {
                Action::Send(request) => {
                    let result = self.perform(&request);
                    let answered = now_ms();
                    let mut exchange = Exchange {
                        method: request.method.as_str().to_string(),
                        url: request.url.clone(),
                        sent_ms: now,
                        answered_ms: answered,
                        status: None,
                        transport: None,
                    };
                    match result {
                        Ok((status, headers, body)) => {
                            exchange.status = Some(status);
                            client
                                .handle_response(request.id, status, &headers, &body, answered)
                                .expect("handle_response");
                        }
                        Err((kind, message)) => {
                            exchange.transport = Some(kind);
                            client
                                .handle_transport_error(request.id, kind, &message, answered)
                                .expect("handle_transport_error");
                        }
                    }
                    out.exchanges.push(exchange);
                }
                Action::Wait { until_ms } => sleep_until(until_ms),
                Action::Event(event) => {
                    let halt = stop(&event);
                    match event {
                        Event::Page(page) => {
                            out.pages.push(PageSeen {
                                job: page.job,
                                number: page.page_number,
                                count: page.items.len(),
                                total: page.total,
                                cursor: page.cursor.clone(),
                            });
                            out.items.extend(page.items);
                        }
                        Event::Done {
                            job,
                            requests_made,
                            items,
                        } => out.done.push((job, requests_made, items)),
                        Event::Failed {
                            job,
                            error,
                            requests_made,
                        } => out.failed.push((job, error, requests_made)),
                        Event::Connection { report, .. } => out.reports.push(report),
                    }
                    if halt {
                        out.stopped = true;
                        break;
                    }
                }
            }
        }
        out.elapsed = started.elapsed();
        out
    }

    /// Sends exactly what the core asked for.
    fn perform(&self, request: &Request) -> Result<Answer, (TransportErrorKind, String)> {
        let mut call = self.agent.request(request.method.as_str(), &request.url);
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        let result = match &request.body {
            Some(body) => call.send_string(body),
            None => call.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(transport)) => {
                let kind = transport_kind(&transport);
                return Err((kind, transport.to_string()));
            }
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.clone(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut body = Vec::new();
        match response.into_reader().read_to_end(&mut body) {
            Ok(_) => Ok((status, headers, body)),
            Err(e) => Err((io_kind(&e), format!("reading the body: {e}"))),
        }
    }
}

fn transport_kind(transport: &ureq::Transport) -> TransportErrorKind {
    match transport.kind() {
        ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns => TransportErrorKind::Connect,
        _ => {
            let io = std::error::Error::source(transport)
                .and_then(|s| s.downcast_ref::<std::io::Error>());
            match io {
                Some(e) => io_kind(e),
                None if transport.to_string().contains("timed out") => TransportErrorKind::Timeout,
                None => TransportErrorKind::Other,
            }
        }
    }
}

fn io_kind(e: &std::io::Error) -> TransportErrorKind {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportErrorKind::Timeout,
        ErrorKind::ConnectionRefused => TransportErrorKind::Connect,
        _ => TransportErrorKind::Other,
    }
}

// --- simulators ------------------------------------------------------------------------

/// A simulator config: the "small" data set with `counts` on top, `limits` and `faults`
/// (JSON rules) applied, no Autotask latency unless a test asks for it.
pub fn config(counts: &[(&str, usize)], limits: &[(&str, &str)], faults: &[&str]) -> Config {
    let mut config = Config {
        counts: Counts::preset("small").expect("small preset"),
        autotask_latency: false,
        watch_stdin: false,
        ..Config::default()
    };
    for (name, n) in counts {
        config.counts.set(name, *n).expect("count");
    }
    for (name, spec) in limits {
        config.limits.set(name, spec).expect("limit");
    }
    for rule in faults {
        config
            .faults
            .push(FaultRule::parse(rule).expect("fault rule"));
    }
    config
}

pub fn start(config: Config) -> Running {
    mspkit_sim::start(config).expect("simulator starts")
}

/// `GET /_sim/stats`.
pub fn stats(sim: &Running) -> Value {
    let text = ureq::get(&format!("{}/_sim/stats", sim.origin()))
        .call()
        .expect("stats")
        .into_string()
        .expect("stats body");
    serde_json::from_str(&text).expect("stats JSON")
}

/// One counter of one endpoint (`"vsax GET devices"`), 0 when the endpoint saw nothing.
pub fn counter(stats: &Value, endpoint: &str, field: &str) -> u64 {
    stats["endpoints"][endpoint][field].as_u64().unwrap_or(0)
}

/// One counter summed over a vendor's endpoints.
pub fn vendor_counter(stats: &Value, vendor: &str, field: &str) -> u64 {
    stats["vendors"][vendor][field].as_u64().unwrap_or(0)
}

/// Every endpoint's request count, for messages and reports.
pub fn requests_by_endpoint(stats: &Value) -> BTreeMap<String, u64> {
    stats["endpoints"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["requests"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Peak of window `index` of rate limit `name`.
pub fn limit_peak(stats: &Value, name: &str, index: usize) -> u64 {
    stats["limits"][name]["windows"][index]["peak"]
        .as_u64()
        .unwrap_or(0)
}

/// The startup line's credentials.
pub fn creds(sim: &Running) -> Value {
    sim.startup_line()
}

pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in the startup line"))
}

// --- clients ---------------------------------------------------------------------------

/// Retries in milliseconds, so fault tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_ms: 10,
        cap_ms: 100,
        max_total_ms: 30_000,
        rate_limited_floor_ms: 50,
    }
}

/// Pacing that never holds a test up: fast retries, a roomy vendor-wide window (VSA 9's
/// gentle default of 10 per 10 s would make every list slow).
pub fn fast_pacing() -> PacingOptions {
    PacingOptions {
        retry: fast_retry(),
        windows: BTreeMap::from([(
            EndpointClass::Default,
            vec![RateWindow::new(100_000, 60_000)],
        )]),
        ..PacingOptions::default()
    }
}

pub fn options(pacing: PacingOptions) -> ClientOptions {
    ClientOptions {
        allow_insecure_loopback: true,
        jitter_seed: 7,
        pacing,
        ..ClientOptions::default()
    }
}

pub fn vsax(sim: &Running, pacing: PacingOptions) -> Client {
    let c = creds(sim);
    Client::vsax(
        &sim.origin(),
        text(&c, "/vsax/token_id"),
        text(&c, "/vsax/token_secret"),
        options(pacing),
    )
    .expect("vsax client")
}

pub fn vsa9(sim: &Running, auth: Vsa9Auth, pacing: PacingOptions) -> Client {
    let c = creds(sim);
    let token = match auth {
        Vsa9Auth::Pat => text(&c, "/vsa9/token"),
        Vsa9Auth::Password { .. } => text(&c, "/vsa9/password"),
    };
    Client::vsa9(
        &sim.origin(),
        text(&c, "/vsa9/username"),
        token,
        auth,
        options(pacing),
    )
    .expect("vsa9 client")
}

pub fn warehouse(sim: &Running, pacing: PacingOptions) -> Client {
    let c = creds(sim);
    Client::vsa9_warehouse(
        &sim.origin(),
        text(&c, "/vsa9/username"),
        text(&c, "/vsa9/warehouse_token"),
        options(pacing),
    )
    .expect("warehouse client")
}

/// An Autotask client that discovers its zone on the simulator.
pub fn autotask(sim: &Running, mut options: ClientOptions) -> Client {
    let c = creds(sim);
    options.zone_discovery_url = Some(text(&c, "/autotask/zone_discovery_url").to_string());
    Client::autotask(
        text(&c, "/autotask/username"),
        text(&c, "/autotask/secret"),
        text(&c, "/autotask/integration_code"),
        None,
        None,
        options,
    )
    .expect("autotask client")
}

/// The legacy password logon's nonce (any decimal number the host picks).
pub const NONCE: u64 = 4_815_162_342;

/// Both VSA 9 logons.
pub fn vsa9_auths() -> [Vsa9Auth; 2] {
    [Vsa9Auth::Pat, Vsa9Auth::Password { nonce: NONCE }]
}

// --- places that are not the API ---------------------------------------------------------

/// A loopback port with nothing listening (bound, then released).
pub fn dead_origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A web server that is not a vendor API: every request gets an HTML 404. Counts what
/// reaches it (a foreign origin must see nothing).
pub struct NotFoundServer {
    pub origin: String,
    hits: Arc<AtomicU64>,
}

impl NotFoundServer {
    pub fn start() -> NotFoundServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(AtomicU64::new(0));
        let counted = hits.clone();
        // The thread ends with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = answer_404(stream);
            }
        });
        NotFoundServer { origin, hits }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

fn answer_404(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let length = String::from_utf8_lossy(&head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    let page =
        "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>";
    write!(
        stream,
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    )?;
    stream.flush()
}
