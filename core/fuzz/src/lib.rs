//! Shared harness of the fuzz targets: fixed clients with sentinel secrets, a tiny text
//! format for scripted server replies, a canned well-behaved server built from
//! tests/fixtures, and a host loop that drives a client to the end while checking the
//! properties every host may rely on.
//!
//! Reply format (what the corpora hold, see seed.sh): records separated by the byte 0x1E.
//! A record is `STATUS\nName: value\n...\n\nBODY`; a record that starts with neither a
//! digit nor `!` is a body answered with 200 and no headers; `!t message` / `!c` / `!o`
//! is a transport error (timeout, connect, other).
//!
//! Properties checked on top of "no panic":
//! - requests go only to the tenant's host (Autotask: autotask.net hosts) over https, with
//!   no userinfo or fragment, header values without control characters, JSON POST bodies,
//!   and a `Debug` that shows no secret;
//! - `Wait` lies in the future; `poll` returns None only when idle or a response is due;
//! - every job ends with exactly one terminal event, nothing follows it, and the client
//!   ends idle within a bounded number of steps;
//! - pages are numbered 1, 2, ...; their items are a JSON array of `len()` records; Done
//!   counts the items delivered; every page cursor is accepted by a new list job;
//! - no error (message, remediation, vendor message, Display, Debug) contains a secret
//!   (the fixed sentinels below, their Basic encoding, or a VSA 9 session token once
//!   issued); `export_state` and the client's `Debug` never contain a sentinel (unless
//!   the fuzz input itself carried it, which only an attacker who knows it could do).

use std::collections::BTreeMap;

use base64::Engine as _;
use mspkit_core::tenant_url::DEFAULT_ZONE_DISCOVERY_URL;
use mspkit_core::{
    Action, AutotaskPaging, Client, ClientOptions, Error, Event, JobId, ListOptions, Method,
    Request, TransportErrorKind, Vsa9Auth,
};
use serde_json::Value;
use url::Url;

/// The secret every client under test is built with; it must never surface.
pub const SECRET: &str = "FUZZSECRETvalue123";
/// The Autotask integration code (also a credential).
pub const CODE: &str = "FUZZCODEvalue456";
pub const TOKEN_ID: &str = "fuzz-token-id";
pub const USER: &str = "alice";
pub const AT_USER: &str = "apiuser@acme.example";
/// 2026-11-22T12:00:00Z: the fixtures' clock (the VSA 9 session expires 30 min later).
pub const T0: u64 = 1_795_348_800_000;
pub const RECORD_SEPARATOR: u8 = 0x1e;

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/", $path)).as_slice()
    };
}

// ---------------------------------------------------------------------------------------
// Clients under test

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    Vsax,
    Vsa9Pat,
    Vsa9Password,
    Warehouse,
    /// Autotask without a zone: the first request is zone discovery.
    AutotaskDiscover,
    /// Autotask with a configured zone.
    AutotaskZone,
    /// Autotask with keyset paging (and zone discovery).
    AutotaskKeyset,
}

pub const SETUPS: [Setup; 7] = [
    Setup::Vsax,
    Setup::Vsa9Pat,
    Setup::Vsa9Password,
    Setup::Warehouse,
    Setup::AutotaskDiscover,
    Setup::AutotaskZone,
    Setup::AutotaskKeyset,
];

pub fn basic(user: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
}

impl Setup {
    pub fn options(self) -> ClientOptions {
        ClientOptions {
            jitter_seed: 7,
            autotask_paging: match self {
                Setup::AutotaskKeyset => AutotaskPaging::Keyset,
                _ => AutotaskPaging::NextLink,
            },
            ..ClientOptions::default()
        }
    }

    pub fn client(self) -> Client {
        let options = self.options();
        let client = match self {
            Setup::Vsax => Client::vsax("acme.vsax.net", TOKEN_ID, SECRET, options),
            Setup::Vsa9Pat => Client::vsa9("vsa.example.com", USER, SECRET, Vsa9Auth::Pat, options),
            Setup::Vsa9Password => Client::vsa9(
                "vsa.example.com",
                USER,
                SECRET,
                Vsa9Auth::Password { nonce: 12_345_678 },
                options,
            ),
            Setup::Warehouse => Client::vsa9_warehouse("vsa.example.com", USER, SECRET, options),
            Setup::AutotaskDiscover | Setup::AutotaskKeyset => {
                Client::autotask(AT_USER, SECRET, CODE, None, None, options)
            }
            Setup::AutotaskZone => Client::autotask(
                AT_USER,
                SECRET,
                CODE,
                Some("webservices15.autotask.net"),
                Some(29_682_885),
                options,
            ),
        };
        match client {
            Ok(client) => client,
            Err(e) => panic!("the fixed configuration {self:?} is refused: {e}"),
        }
    }

    pub fn resource(self) -> &'static str {
        match self {
            Setup::Vsax => "devices",
            Setup::Vsa9Pat | Setup::Vsa9Password => "assetmgmt/agents",
            Setup::Warehouse => "Agents",
            _ => "Companies",
        }
    }

    pub fn is_autotask(self) -> bool {
        matches!(
            self,
            Setup::AutotaskDiscover | Setup::AutotaskZone | Setup::AutotaskKeyset
        )
    }

    /// Values that must never appear in an error, exported state or a Debug.
    pub fn secrets(self) -> Vec<String> {
        match self {
            Setup::Vsax => vec![SECRET.into(), basic(TOKEN_ID, SECRET)],
            Setup::Vsa9Pat | Setup::Vsa9Password | Setup::Warehouse => {
                vec![SECRET.into(), basic(USER, SECRET)]
            }
            _ => vec![SECRET.into(), CODE.into()],
        }
    }

    /// Every request goes to the tenant's host (Autotask: an autotask.net host) over https.
    pub fn check_destination(self, request: &Request) {
        let url = Url::parse(&request.url)
            .unwrap_or_else(|e| panic!("request URL {:?} does not parse: {e}", request.url));
        assert_eq!(url.scheme(), "https", "{}", request.url);
        assert!(
            url.username().is_empty() && url.password().is_none() && url.fragment().is_none(),
            "userinfo or fragment in {}",
            request.url
        );
        let host = url.host_str().unwrap_or_default();
        match self {
            Setup::Vsax => {
                assert_eq!(host, "acme.vsax.net", "{}", request.url);
                assert!(url.path().starts_with("/api/v3/"), "{}", request.url);
            }
            Setup::Vsa9Pat | Setup::Vsa9Password => {
                assert_eq!(host, "vsa.example.com", "{}", request.url);
                assert!(url.path().starts_with("/api/v1.0/"), "{}", request.url);
            }
            Setup::Warehouse => {
                assert_eq!(host, "vsa.example.com", "{}", request.url);
                assert!(url.path().starts_with("/api/odata/1.0/"), "{}", request.url);
            }
            _ => {
                assert!(is_autotask_host(host), "non-Autotask host: {}", request.url);
                if request.url.starts_with(DEFAULT_ZONE_DISCOVERY_URL) {
                    for name in ["Secret", "ApiIntegrationCode", "Authorization"] {
                        assert!(
                            request.header(name).is_none(),
                            "zone discovery sends {name}"
                        );
                    }
                }
            }
        }
        for (name, value) in &request.headers {
            assert!(!name.is_empty(), "empty header name");
            assert!(
                !value.chars().any(char::is_control),
                "header {name} carries a control character"
            );
        }
        if request.method == Method::Post {
            let body = request.body.as_deref().expect("a POST has a body");
            assert!(
                serde_json::from_str::<Value>(body).is_ok(),
                "POST body is not JSON"
            );
        }
        // A server may echo a secret into a next link, so only what the core adds (the
        // headers, redacted) is checked: the URL is left out.
        let printed = format!(
            "{:?}",
            Request {
                url: String::new(),
                ..request.clone()
            }
        );
        for secret in self.secrets() {
            assert!(
                !printed.contains(&secret),
                "Request Debug shows a secret: {printed}"
            );
        }
    }
}

pub fn is_autotask_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "autotask.net"
        || (host.ends_with(".autotask.net") && !host.split('.').any(str::is_empty))
}

// ---------------------------------------------------------------------------------------
// Replies

#[derive(Debug, Clone)]
pub enum Reply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Transport {
        kind: TransportErrorKind,
        message: String,
    },
}

impl Reply {
    pub fn ok(body: &[u8]) -> Reply {
        Reply::Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_vec(),
        }
    }

    /// Ends any job: a non-retryable 404.
    pub fn closing() -> Reply {
        Reply::Response {
            status: 404,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }
    }

    /// Parses one record of the reply format (see the crate docs).
    pub fn parse(record: &[u8]) -> Reply {
        if let Some(rest) = record.strip_prefix(b"!") {
            let kind = match rest.first() {
                Some(b't') => TransportErrorKind::Timeout,
                Some(b'c') => TransportErrorKind::Connect,
                _ => TransportErrorKind::Other,
            };
            let message = String::from_utf8_lossy(rest.get(1..).unwrap_or_default()).into_owned();
            return Reply::Transport { kind, message };
        }
        if !record.first().is_some_and(u8::is_ascii_digit) {
            return Reply::Response {
                status: 200,
                headers: Vec::new(),
                body: record.to_vec(),
            };
        }
        let (head, body) = match find(record, b"\n\n") {
            Some(at) => (&record[..at], &record[at + 2..]),
            None => (record, &b""[..]),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split('\n');
        let status_line = lines.next().unwrap_or_default();
        let digits: String = status_line
            .chars()
            .take_while(char::is_ascii_digit)
            .take(5)
            .collect();
        let status = digits
            .parse::<u32>()
            .unwrap_or(200)
            .min(u32::from(u16::MAX)) as u16;
        let headers = lines
            .map(|line| match line.split_once(':') {
                Some((name, value)) => (name.to_string(), value.trim_start().to_string()),
                None => (line.to_string(), String::new()),
            })
            .collect();
        Reply::Response {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}

/// Splits `data` into at most `max` reply records.
pub fn parse_replies(data: &[u8], max: usize) -> Vec<Reply> {
    data.split(|&b| b == RECORD_SEPARATOR)
        .take(max)
        .map(Reply::parse)
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    find(haystack, needle.as_bytes()).is_some()
}

/// Reads control bytes off the front of an input (0 once it runs out).
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

// ---------------------------------------------------------------------------------------
// The canned, well-behaved server (answers from tests/fixtures)

/// What a request asks for, from its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Logon,
    Zone,
    Threshold,
    Connection,
    Page,
}

pub fn request_kind(setup: Setup, request: &Request) -> Kind {
    let url = Url::parse(&request.url).ok();
    let path = url
        .as_ref()
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let top_one = url
        .as_ref()
        .is_some_and(|u| u.query_pairs().any(|(k, v)| k == "$top" && v == "1"));
    if path.ends_with("/auth") {
        Kind::Logon
    } else if request.url.starts_with(DEFAULT_ZONE_DISCOVERY_URL) {
        Kind::Zone
    } else if path.ends_with("/ThresholdInformation") {
        Kind::Threshold
    } else {
        let connection = match setup {
            Setup::Vsax => path.ends_with("/organizations"),
            Setup::Vsa9Pat | Setup::Vsa9Password => path.ends_with("/system/orgs"),
            Setup::Warehouse => top_one,
            _ => path.ends_with("/query/count"),
        };
        if connection {
            Kind::Connection
        } else {
            Kind::Page
        }
    }
}

/// The right answer to `request`; `page` counts list pages served so far.
pub fn canned(setup: Setup, kind: Kind, page: usize) -> Reply {
    let body: &[u8] = match (kind, setup) {
        (Kind::Logon, _) => fixture!("vsa9/auth_ok.json"),
        (Kind::Zone, _) => fixture!("autotask/zone_information.json"),
        (Kind::Threshold, _) => fixture!("autotask/threshold_information.json"),
        (Kind::Connection, Setup::Vsax) => fixture!("vsax/organizations_top1.json"),
        (Kind::Connection, Setup::Vsa9Pat | Setup::Vsa9Password) => {
            fixture!("vsa9/orgs_top1.json")
        }
        (Kind::Connection, Setup::Warehouse) => fixture!("warehouse/agents_top1.json"),
        (Kind::Connection, _) => fixture!("autotask/query_count.json"),
        (Kind::Page, Setup::Vsax) => [
            fixture!("vsax/devices_page1.json"),
            fixture!("vsax/devices_page2.json"),
            fixture!("vsax/devices_page3.json"),
        ][page.min(2)],
        (Kind::Page, Setup::Vsa9Pat | Setup::Vsa9Password) => [
            fixture!("vsa9/agents_page1.json"),
            fixture!("vsa9/agents_page2.json"),
            fixture!("vsa9/agents_page3.json"),
        ][page.min(2)],
        (Kind::Page, Setup::Warehouse) => [
            fixture!("warehouse/agents_page1.json"),
            fixture!("warehouse/agents_page2_relative_next_link.json"),
            fixture!("warehouse/agents_page3.json"),
        ][page.min(2)],
        (Kind::Page, _) => [
            fixture!("autotask/companies_query_page1.json"),
            fixture!("autotask/companies_query_page2.json"),
        ][page.min(1)],
    };
    Reply::ok(body)
}

// ---------------------------------------------------------------------------------------
// The host loop

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jobs {
    List,
    Connection,
    Both,
}

impl Jobs {
    pub fn from_bits(bits: u8) -> Jobs {
        match bits % 4 {
            1 => Jobs::Connection,
            2 => Jobs::Both,
            _ => Jobs::List,
        }
    }
}

/// Who answers which request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Logons, zone discovery and tenant-usage readings get canned answers; list and
    /// connection requests get `canned_pages` canned answers, then the fuzzed replies.
    JobReplies { canned_pages: usize },
    /// Every request gets the next fuzzed reply (logon + page, zone + query, ...).
    Sequence,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub setup: Setup,
    pub jobs: Jobs,
    pub mode: Mode,
    /// Added to the clock after each answer.
    pub clock_step_ms: u64,
    pub replies: Vec<Reply>,
}

pub fn clock_step(bits: u8) -> u64 {
    [100, 0, 61_000, 3_600_000][usize::from(bits % 4)]
}

pub const PAGE_SIZE: u32 = 3;

pub fn list_options() -> ListOptions {
    ListOptions {
        page_size: Some(PAGE_SIZE),
        ..ListOptions::default()
    }
}

/// Checks events as they come: one terminal event per job, pages in order.
pub struct Tracker {
    setup: Setup,
    /// job -> (is list, pages seen, items seen, ended)
    jobs: BTreeMap<JobId, (bool, u32, u64, bool)>,
    /// VSA 9 session tokens issued so far: scrubbed from every later error.
    pub tokens: Vec<String>,
}

impl Tracker {
    pub fn new(setup: Setup) -> Tracker {
        Tracker {
            setup,
            jobs: BTreeMap::new(),
            tokens: Vec::new(),
        }
    }

    pub fn start(&mut self, job: JobId, list: bool) {
        assert!(
            self.jobs.insert(job, (list, 0, 0, false)).is_none(),
            "job id reused"
        );
    }

    pub fn on_send(&mut self, request: &Request) {
        if let Some(token) = request
            .header("Authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            let token = token.trim();
            if !self.tokens.iter().any(|t| t == token) {
                self.tokens.push(token.to_string());
            }
        }
    }

    pub fn check_error(&self, error: &Error) {
        check_error(error, &self.setup.secrets());
        for token in &self.tokens {
            // Shorter values are not scrubbed by design; one inside "[redacted]" is what
            // scrubbing writes.
            if token.len() < 4 || "[redacted]".contains(token.as_str()) {
                continue;
            }
            for text in [error.message(), error.remediation()]
                .into_iter()
                .chain(error.vendor_message())
            {
                assert!(
                    !text.contains(token.as_str()),
                    "an error shows the session token {token:?}: {text:?}"
                );
            }
        }
    }

    pub fn on_event(&mut self, event: &Event) {
        let job = event.job();
        let entry = self
            .jobs
            .get_mut(&job)
            .unwrap_or_else(|| panic!("event for unknown job {job}: {}", event.kind()));
        assert!(!entry.3, "event {} after job {job} ended", event.kind());
        match event {
            Event::Page(page) => {
                assert!(entry.0, "page for a connection test");
                entry.1 += 1;
                assert_eq!(page.page_number, entry.1, "pages out of order");
                entry.2 += page.items.len() as u64;
                check_items(&page.items);
                check_cursor_resumes(self.setup, &page.cursor);
            }
            Event::Done { items, .. } => {
                assert!(entry.0, "Done for a connection test");
                assert_eq!(*items, entry.2, "Done counts other items than delivered");
                entry.3 = true;
            }
            Event::Failed { error, .. } => {
                assert!(entry.0, "Failed for a connection test");
                entry.3 = true;
                self.check_error(error);
            }
            Event::Connection { report, .. } => {
                assert!(!entry.0, "Connection report for a list");
                entry.3 = true;
                assert_eq!(report.ok, report.error.is_none());
                for secret in self.setup.secrets() {
                    assert!(!report.message.contains(&secret), "report shows a secret");
                }
                if let Some(error) = &report.error {
                    self.check_error(error);
                }
            }
        }
    }

    pub fn finish(&self) {
        for (job, entry) in &self.jobs {
            assert!(entry.3, "job {job} never ended");
        }
    }
}

/// Stable code, text present, no secret in any text or rendering.
pub fn check_error(error: &Error, secrets: &[String]) {
    assert!(!error.code().as_str().is_empty());
    assert!(!error.message().is_empty(), "empty message: {error:?}");
    assert!(
        !error.remediation().is_empty(),
        "empty remediation: {error:?}"
    );
    let display = error.to_string();
    let debug = format!("{error:?}");
    for secret in secrets {
        for text in [error.message(), error.remediation(), &display, &debug]
            .into_iter()
            .chain(error.vendor_message())
        {
            assert!(
                !text.contains(secret.as_str()),
                "an error shows a secret: {text:?}"
            );
        }
    }
}

/// For URL checks fed a URL with the secret put in its userinfo, query or fragment: the
/// error may quote the URL's path (by design), and a malformed URL can move the secret
/// there, so it may appear only inside a quoted path (`/...`).
pub fn check_url_error(error: &Error, secrets: &[String]) {
    check_error(error, &[]);
    let outside_paths = |text: &str| -> String {
        text.split('`')
            .enumerate()
            .filter(|(i, part)| i % 2 == 0 || !part.starts_with('/'))
            .map(|(_, part)| part)
            .collect()
    };
    for text in [
        error.message().to_string(),
        error.to_string(),
        format!("{error:?}"),
    ]
    .into_iter()
    .chain(error.vendor_message().map(str::to_string))
    {
        for secret in secrets {
            assert!(
                !outside_paths(&text).contains(secret.as_str()),
                "an error shows a secret outside a quoted path: {text:?}"
            );
        }
    }
    for secret in secrets {
        assert!(
            !error.remediation().contains(secret.as_str()),
            "remediation shows a secret"
        );
    }
}

pub fn check_items(items: &mspkit_core::Items) {
    // Every delivered record must reach the host: records serde_json cannot read as sent
    // (found once: lone surrogate escapes, numbers beyond f64) must be repairable.
    let parsed: Vec<Value> = match serde_json::from_str(items.as_json()) {
        Ok(parsed) => parsed,
        Err(_) => match serde_json::from_str(items.repaired().as_json()) {
            Ok(parsed) => parsed,
            Err(e) => panic!("repaired page items are not a JSON array serde_json reads ({e})"),
        },
    };
    assert_eq!(
        parsed.len(),
        items.len(),
        "items len() disagrees with the JSON"
    );
    assert_eq!(items.to_values(), parsed, "to_values() disagrees with the JSON");
    // The last resort (a record kept as a string of its text) means the repair missed a
    // case: an object or array must stay one.
    for (record, value) in items.records_json().zip(&parsed) {
        if record.starts_with(['{', '[']) {
            assert!(!value.is_string(), "a record the repair could not read");
        }
    }
}

/// A page's cursor starts a new list job; its first action is a safe request or an event.
pub fn check_cursor_resumes(setup: Setup, cursor: &str) {
    let mut client = setup.client();
    let options = ListOptions {
        cursor: Some(cursor.to_string()),
        ..list_options()
    };
    if let Err(e) = client.start_list(setup.resource(), &options) {
        panic!("a page cursor does not resume: {e}");
    }
    match client.poll(T0) {
        Some(Action::Send(request)) => setup.check_destination(&request),
        Some(Action::Event(Event::Failed { error, .. })) => check_error(&error, &setup.secrets()),
        _ => {}
    }
}

/// Starts the script's jobs on `client` and drives it to idle.
pub fn run(script: &Script) -> Client {
    let mut client = script.setup.client();
    let mut tracker = Tracker::new(script.setup);
    if matches!(script.jobs, Jobs::Connection | Jobs::Both) {
        let job = client.start_test_connection();
        tracker.start(job, false);
    }
    if matches!(script.jobs, Jobs::List | Jobs::Both) {
        let job = client
            .start_list(script.setup.resource(), &list_options())
            .expect("the fixed list options are valid");
        tracker.start(job, true);
    }
    drive(&mut client, &mut tracker, script, T0);
    client
}

/// Most answers a run may take: every fuzzed reply, plus canned answers and retries.
const MAX_ANSWERS: usize = 200;

/// Set FUZZ_TRACE=1 to print every action and answer (when replaying one input).
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// Plays host until the client is idle.
pub fn drive(client: &mut Client, tracker: &mut Tracker, script: &Script, start_ms: u64) {
    let setup = script.setup;
    let mut now = start_ms;
    let mut outstanding: Vec<Request> = Vec::new();
    let mut fuzzed = script.replies.iter();
    let mut canned_pages_given = 0usize;
    let mut pages_served = 0usize;
    let mut answers = 0usize;
    loop {
        let action = client.poll(now);
        if tracing() {
            eprintln!("[{now}] {action:?}");
        }
        let request = match action {
            Some(Action::Send(request)) => {
                setup.check_destination(&request);
                tracker.on_send(&request);
                assert!(
                    outstanding.iter().all(|r| r.id != request.id),
                    "request id reused while in flight"
                );
                outstanding.push(request);
                continue;
            }
            Some(Action::Event(event)) => {
                tracker.on_event(&event);
                continue;
            }
            Some(Action::Wait { until_ms }) => {
                if outstanding.is_empty() {
                    assert!(until_ms > now, "Wait until {until_ms} is not after {now}");
                    now = until_ms;
                    continue;
                }
                outstanding.remove(0)
            }
            None => {
                if outstanding.is_empty() {
                    assert!(
                        client.is_idle(),
                        "poll returned None, nothing in flight, jobs remain"
                    );
                    tracker.finish();
                    check_state(client, setup);
                    return;
                }
                outstanding.remove(0)
            }
        };
        answers += 1;
        assert!(
            answers <= MAX_ANSWERS,
            "the client did not finish within {MAX_ANSWERS} answers"
        );
        let kind = request_kind(setup, &request);
        let reply = match script.mode {
            Mode::Sequence => fuzzed.next().cloned(),
            Mode::JobReplies { canned_pages } => match kind {
                Kind::Logon | Kind::Zone | Kind::Threshold => Some(canned(setup, kind, 0)),
                _ if canned_pages_given < canned_pages => {
                    canned_pages_given += 1;
                    Some(canned(setup, kind, pages_served))
                }
                _ => fuzzed.next().cloned(),
            },
        }
        .unwrap_or_else(Reply::closing);
        if kind == Kind::Page {
            pages_served += 1;
        }
        now = now.saturating_add(script.clock_step_ms);
        if tracing() {
            match &reply {
                Reply::Response {
                    status,
                    headers,
                    body,
                } => eprintln!(
                    "[{now}] answer {} ({kind:?}): {status} {headers:?} {:?}",
                    request.id,
                    String::from_utf8_lossy(body)
                ),
                other => eprintln!("[{now}] answer {} ({kind:?}): {other:?}", request.id),
            }
        }
        let result = match &reply {
            Reply::Response {
                status,
                headers,
                body,
            } => client.handle_response(request.id, *status, headers, body, now),
            Reply::Transport { kind, message } => {
                client.handle_transport_error(request.id, *kind, message, now)
            }
        };
        if let Err(e) = result {
            panic!(
                "the answer to in-flight request {} was refused: {e}",
                request.id
            );
        }
        // A second answer to the same request is a host bug: refused.
        assert!(client
            .handle_response(request.id, 200, &[], b"{}", now)
            .is_err());
    }
}

/// Exported state and the client's Debug carry no secret. Both may hold what a server
/// or an imported state supplied (the Autotask zone, other processes' instance names),
/// which an attacker who knows a secret could fill with it: those parts are left out.
pub fn check_state(client: &Client, setup: Setup) {
    let mut exported: Value = match serde_json::from_str(&client.export_state()) {
        Ok(value) => value,
        Err(e) => panic!("export_state is not JSON: {e}"),
    };
    if let Some(state) = exported.as_object_mut() {
        state.remove("autotask_zone");
    }
    if let Some(instances) = exported
        .pointer_mut("/pacing/instances")
        .and_then(Value::as_object_mut)
    {
        let values: Vec<Value> = std::mem::take(instances)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        for (i, value) in values.into_iter().enumerate() {
            instances.insert(format!("instance{i}"), value);
        }
    }
    let exported = exported.to_string();
    let mut debug = format!("{client:?}");
    if let Some(base) = client.base_url() {
        debug = debug.replace(&format!("{base:?}"), "");
    }
    for secret in setup.secrets() {
        assert!(
            !exported.contains(&secret),
            "export_state shows a secret: {exported}"
        );
        assert!(
            !debug.contains(&secret),
            "Client Debug shows a secret: {debug}"
        );
    }
}

/// The per-vendor response targets: control byte, then fuzzed replies to the job's
/// requests (prerequisites answered by the canned server).
pub fn job_replies_target(setups: &[Setup], data: &[u8]) {
    let mut bytes = Bytes(data);
    let control = bytes.byte();
    let setup = setups[usize::from(control >> 2 & 3) % setups.len()];
    let rest = bytes.rest();
    let script = Script {
        setup,
        jobs: Jobs::from_bits(control),
        mode: Mode::JobReplies {
            canned_pages: usize::from(control >> 4 & 3),
        },
        clock_step_ms: clock_step(control >> 6),
        replies: parse_replies(rest, 8),
    };
    run(&script);
}
