//! The host side of the end-to-end tests: the real mspkit core drives a real simulator
//! (see `common`) over HTTP on loopback. A short loop over `Client::poll` sends each
//! request with ureq, sleeps on the real clock, and records what happened: pages, items,
//! failures, connection reports and every exchange on the wire.

// Each test file compiles this module on its own, and none uses all of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mspkit_core::{
    Action, Client, ClientOptions, ConnectionReport, EndpointClass, Error, ErrorCode, Event, JobId,
    ListOptions, PacingOptions, RateWindow, Request, RetryPolicy, TransportErrorKind, Vsa9Auth,
};
use serde_json::Value;

use crate::common::{agent, exchange, Failure, Resp, Sim};

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

    /// The only connection report, which must be a success: (organisation count, message,
    /// requests made).
    pub fn connected(&self) -> (Option<u64>, &str, u32) {
        let report = self.report();
        assert!(report.ok, "{report:?}");
        let count = report.organization_count;
        (count, report.message.as_str(), report.requests_made)
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

    /// The only connection report's error code and requests made (panics if it passed).
    pub fn refusal(&self) -> (ErrorCode, u32) {
        let report = self.report();
        let error = report.error.as_ref().expect("the connection test failed");
        (error.code(), report.requests_made)
    }

    /// No job failed, and the items' `field` values are `expected` many, none twice.
    pub fn assert_complete(&self, field: &str, expected: usize) {
        assert!(self.failed.is_empty(), "{:?}", self.failed);
        assert_exactly_once(&self.ids(field), expected);
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

/// The host: an HTTP client with a timeout, and a safety deadline per run.
pub struct Driver {
    agent: ureq::Agent,
    /// A run taking longer than this is a hung test.
    pub deadline: Duration,
}

/// The driver most tests use: requests time out after 2 s.
pub fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

impl Driver {
    /// A driver whose requests time out after `timeout`.
    pub fn new(timeout: Duration) -> Driver {
        Driver {
            agent: agent(timeout),
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
                        Ok(Resp {
                            status,
                            headers,
                            body,
                        }) => {
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
                            out.items.extend(page.items.to_values());
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
    fn perform(&self, request: &Request) -> Result<Resp, (TransportErrorKind, String)> {
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let body = request.body.as_deref().map(str::as_bytes);
        exchange(
            &self.agent,
            request.method.as_str(),
            &request.url,
            &headers,
            body,
        )
        .map_err(|failure| {
            let kind = match &failure {
                Failure::Transport(transport) => transport_kind(transport),
                Failure::Body(e) => io_kind(e),
            };
            (kind, failure.to_string())
        })
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

/// List options asking for pages of `size`.
pub fn pages_of(size: u32) -> ListOptions {
    ListOptions {
        page_size: Some(size),
        ..ListOptions::default()
    }
}

/// Runs a connection test to the end.
pub fn connect(mut client: Client) -> Outcome {
    client.start_test_connection();
    driver().run(&mut client)
}

/// Lists `path` to the end.
pub fn list(mut client: Client, path: &str, options: &ListOptions) -> Outcome {
    client.start_list(path, options).expect("the list starts");
    driver().run(&mut client)
}

/// Lists `path` on `first` until page `page` arrives, then resumes on `second` from that
/// page's cursor. Returns both runs.
pub fn resume(
    mut first: Client,
    second: Client,
    path: &str,
    options: &ListOptions,
    page: u32,
) -> (Outcome, Outcome) {
    first.start_list(path, options).expect("the list starts");
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, Event::Page(p) if p.page_number == page),
    );
    assert!(part.stopped, "page {page} arrived");
    drop(first);
    let from_cursor = ListOptions {
        cursor: Some(part.last_cursor()),
        ..options.clone()
    };
    let rest = list(second, path, &from_cursor);
    (part, rest)
}

/// `rest` resumed `part` without a failure, and together they delivered `expected` items
/// by `field`, each once.
pub fn assert_resumed(part: &Outcome, rest: &Outcome, field: &str, expected: usize) {
    assert!(rest.failed.is_empty(), "{:?}", rest.failed);
    assert_exactly_once(&[part.ids(field), rest.ids(field)].concat(), expected);
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

/// Fast retries, and the client told `limit` requests per `per_ms` for the whole vendor.
pub fn window(limit: u32, per_ms: u64) -> PacingOptions {
    PacingOptions {
        retry: fast_retry(),
        windows: BTreeMap::from([(EndpointClass::Default, vec![RateWindow::new(limit, per_ms)])]),
        ..PacingOptions::default()
    }
}

/// Pacing that never holds a test up: fast retries, a roomy vendor-wide window (VSA 9's
/// gentle default of 10 per 10 s would make every list slow).
pub fn fast_pacing() -> PacingOptions {
    window(100_000, 60_000)
}

pub fn options(pacing: PacingOptions) -> ClientOptions {
    ClientOptions {
        allow_insecure_loopback: true,
        jitter_seed: 7,
        pacing,
        ..ClientOptions::default()
    }
}

/// Client options with `fast_pacing`.
pub fn fast() -> ClientOptions {
    options(fast_pacing())
}

/// A VSA X client of `origin` with fast pacing.
pub fn vsax_as(origin: &str, token_id: &str, token_secret: &str) -> Client {
    Client::vsax(origin, token_id, token_secret, fast()).expect("vsax client")
}

/// A VSA 9 client of `origin` with fast pacing.
pub fn vsa9_as(origin: &str, username: &str, token: &str, auth: Vsa9Auth) -> Client {
    Client::vsa9(origin, username, token, auth, fast()).expect("vsa9 client")
}

/// A Data Warehouse client of `origin` with fast pacing.
pub fn warehouse_as(origin: &str, username: &str, token: &str) -> Client {
    Client::vsa9_warehouse(origin, username, token, fast()).expect("warehouse client")
}

/// An Autotask client that discovers its zone on the simulator (unless `zone_url` is
/// given), with fast pacing.
pub fn autotask_as(
    sim: &Sim,
    (username, secret, code): (&str, &str, &str),
    zone_url: Option<&str>,
) -> Client {
    let options = ClientOptions {
        zone_discovery_url: Some(sim.cred("autotask", "zone_discovery_url").to_string()),
        ..fast()
    };
    Client::autotask(username, secret, code, zone_url, None, options).expect("autotask client")
}

/// A VSA X client with the startup line's token.
pub fn vsax(sim: &Sim, pacing: PacingOptions) -> Client {
    let (id, secret) = (
        sim.cred("vsax", "token_id"),
        sim.cred("vsax", "token_secret"),
    );
    Client::vsax(&sim.origin(), id, secret, options(pacing)).expect("vsax client")
}

/// A VSA 9 client with the startup line's token (PAT) or password.
pub fn vsa9(sim: &Sim, auth: Vsa9Auth, pacing: PacingOptions) -> Client {
    let token = match auth {
        Vsa9Auth::Pat => sim.cred("vsa9", "token"),
        Vsa9Auth::Password { .. } => sim.cred("vsa9", "password"),
    };
    let user = sim.cred("vsa9", "username");
    Client::vsa9(&sim.origin(), user, token, auth, options(pacing)).expect("vsa9 client")
}

/// A Data Warehouse client with the startup line's token.
pub fn warehouse(sim: &Sim) -> Client {
    let token = sim.cred("vsa9", "warehouse_token");
    warehouse_as(&sim.origin(), sim.cred("vsa9", "username"), token)
}

/// An Autotask client with the startup line's user, discovering its zone on the simulator.
pub fn autotask(sim: &Sim, mut options: ClientOptions) -> Client {
    options.zone_discovery_url = Some(sim.cred("autotask", "zone_discovery_url").to_string());
    let (user, secret, code) = sim.autotask_creds();
    Client::autotask(user, secret, code, None, None, options).expect("autotask client")
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

/// The connection test of a client made by `client_of(origin)` fails as a transport error
/// (retried) where nothing listens, and as a 404 (not retried) on a web server that is not
/// the API. Returns both runs.
pub fn assert_wrong_urls_fail(client_of: impl Fn(&str) -> Client) -> (Outcome, Outcome) {
    let dead = connect(client_of(&dead_origin()));
    let attempts = fast_retry().max_attempts;
    let transport = (ErrorCode::Transport, attempts);
    assert_eq!(dead.refusal(), transport, "nothing listening");
    let web = NotFoundServer::start();
    let not_found = connect(client_of(&web.origin));
    assert_eq!(
        not_found.refusal(),
        (ErrorCode::NotFound, 1),
        "a web server"
    );
    assert_eq!(web.hits(), 1);
    (dead, not_found)
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
