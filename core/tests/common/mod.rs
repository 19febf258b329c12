//! Scripted conversations: a test lists the requests it expects the core to ask for, in
//! order, each with the canned answer the "server" gives; the harness plays host (polls,
//! checks every `Send` against the next step, answers, advances a fake clock on `Wait`)
//! and collects the events. Any surprise fails loudly with the step index and the actual
//! request, printed through `Request`'s `Debug`, which redacts credentials.
//!
//! Shared by every `conversation_*.rs` file; not every file uses every helper.
#![allow(dead_code)]

use std::collections::VecDeque;

use mspkit_core::{
    Action, AutotaskPaging, Client, ClientOptions, ConnectionReport, Error, Event, JobId, Method,
    Page, Request, TransportErrorKind, Vsa9Auth,
};
use serde_json::{json, Value};

/// Reads `tests/fixtures/<path>` (top level of the workspace, shared with the Python and
/// JS tests) as bytes.
macro_rules! fixture {
    ($path:literal) => {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/",
            $path
        ))
        .expect(concat!("missing fixture tests/fixtures/", $path))
    };
}

/// A fixture parsed as JSON.
macro_rules! fixture_json {
    ($path:literal) => {
        serde_json::from_slice::<serde_json::Value>(&fixture!($path))
            .expect(concat!("fixture is not JSON: ", $path))
    };
}

// ---------------------------------------------------------------------------------------
// Clock and credentials shared with the fixtures (see tests/fixtures/README.md).

/// 2026-11-22T12:00:00Z: the clock every conversation starts at. The VSA 9 session in
/// `vsa9/auth_ok.json` expires 30 minutes later.
pub const T0: u64 = 1_795_348_800_000;
/// `SessionExpiration` of `vsa9/auth_ok.json` (2026-11-22T12:30:00Z).
pub const VSA9_SESSION_EXPIRES: u64 = T0 + 30 * 60_000;
pub const VSA9_TOKEN: &str = "76051a2b3c4d5e6f7a8b9c0d1e2f3a4b";
pub const VSA9_RENEWED_TOKEN: &str = "7605f0e1d2c3b4a5968778695a4b3c2d";

pub const VSAX_TENANT: &str = "https://acme.vsax.net";
pub const VSAX_TOKEN_ID: &str = "mspkit-token-id-7c41";
pub const VSAX_TOKEN_SECRET: &str = "vsax-Secr3t-9b1f0c7d2e";
/// `Basic base64("mspkit-token-id-7c41:vsax-Secr3t-9b1f0c7d2e")`, computed outside Rust.
pub const VSAX_BASIC: &str = "Basic bXNwa2l0LXRva2VuLWlkLTdjNDE6dnNheC1TZWNyM3QtOWIxZjBjN2QyZQ==";

pub const VSA9_SERVER: &str = "https://vsa.example.com";
pub const VSA9_USER: &str = "alice";
pub const VSA9_PAT: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
pub const VSA9_AUTH_URL: &str = "https://vsa.example.com/api/v1.0/auth";

pub const DW_USER: &str = "alice";
pub const DW_TOKEN: &str = "d3a1c9e4-6b7f-4e2a-9c1d-5f8e7a6b4c3d";

pub const AT_USER: &str = "apiuser@acme.example";
pub const AT_SECRET: &str = "At$ecret-7q9Zk2wP";
pub const AT_INTEGRATION_CODE: &str = "INTCODE4TESTS7H3K2";
pub const AT_DISCOVERY_URL: &str =
    "https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation?user=apiuser%40acme.example";
pub const AT_ZONE: &str = "https://webservices15.autotask.net/ATServicesRest/V1.0/";
pub const AT_ZONE5: &str = "https://webservices5.autotask.net/ATServicesRest/V1.0/";

// ---------------------------------------------------------------------------------------
// Clients.

pub fn vsax_client() -> Client {
    Client::vsax(
        VSAX_TENANT,
        VSAX_TOKEN_ID,
        VSAX_TOKEN_SECRET,
        ClientOptions::default(),
    )
    .expect("valid VSA X configuration")
}

pub fn vsa9_client() -> Client {
    Client::vsa9(
        VSA9_SERVER,
        VSA9_USER,
        VSA9_PAT,
        Vsa9Auth::Pat,
        ClientOptions::default(),
    )
    .expect("valid VSA 9 configuration")
}

pub fn warehouse_client() -> Client {
    Client::vsa9_warehouse(VSA9_SERVER, DW_USER, DW_TOKEN, ClientOptions::default())
        .expect("valid Data Warehouse configuration")
}

pub fn autotask_client() -> Client {
    autotask_client_with(None, AutotaskPaging::NextLink)
}

pub fn autotask_client_with(impersonation: Option<u64>, paging: AutotaskPaging) -> Client {
    Client::autotask(
        AT_USER,
        AT_SECRET,
        AT_INTEGRATION_CODE,
        None,
        impersonation,
        ClientOptions {
            autotask_paging: paging,
            ..ClientOptions::default()
        },
    )
    .expect("valid Autotask configuration")
}

// ---------------------------------------------------------------------------------------
// Wire helpers.

/// `Basic base64(user:secret)`.
pub fn basic(user: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// The text inside a `Basic ...` header value.
pub fn decode_basic(header: &str) -> String {
    use base64::Engine as _;
    let encoded = header
        .strip_prefix("Basic ")
        .unwrap_or_else(|| panic!("not a Basic header value ({} chars)", header.len()));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("Basic payload is base64");
    String::from_utf8(bytes).expect("Basic payload is UTF-8")
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The body of an Autotask query for everything, with an optional keyset condition.
pub fn autotask_query_body(max_records: u32, after_id: Option<i64>) -> Value {
    let mut filter = vec![json!({"op": "gte", "field": "id", "value": 0})];
    if let Some(id) = after_id {
        filter.push(json!({"op": "gt", "field": "id", "value": id}));
    }
    json!({"filter": filter, "maxRecords": max_records})
}

/// A documented-looking `nextPageUrl` (URL-encoded JSON in `paging` and `search`).
pub fn autotask_next_page_url(zone: &str, entity: &str, page_size: u32, next_id: i64) -> String {
    let paging = json!({"pageSize": page_size, "previousIds": [-1], "nextIds": [next_id]});
    let search =
        json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": page_size});
    format!(
        "{zone}{entity}/query/next?paging={}&search={}",
        url_encode_all(&paging.to_string()),
        url_encode_all(&search.to_string())
    )
}

/// Percent-encodes everything but unreserved characters (like JS encodeURIComponent).
fn url_encode_all(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An Autotask query page of generated Company records (from the first record of
/// `autotask/companies_query_page1.json`), one per id.
pub fn autotask_companies_page(
    ids: &[i64],
    request_count: u32,
    next_page_url: Option<&str>,
) -> Vec<u8> {
    let page1 = fixture_json!("autotask/companies_query_page1.json");
    let template = page1["items"][1].clone();
    let items: Vec<Value> = ids
        .iter()
        .map(|&id| {
            let mut company = template.clone();
            company["id"] = json!(id);
            company["companyName"] = json!(format!("Generated Company {id}"));
            company["companyNumber"] = json!(format!("G{id}"));
            company
        })
        .collect();
    serde_json::to_vec(&json!({
        "items": items,
        "pageDetails": {
            "count": ids.len(),
            "requestCount": request_count,
            "prevPageUrl": null,
            "nextPageUrl": next_page_url,
        }
    }))
    .expect("serialisable")
}

/// `body` (JSON) changed by `edit`.
pub fn edit_json(body: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(body).expect("fixture is JSON");
    edit(&mut value);
    serde_json::to_vec(&value).expect("serialisable")
}

// ---------------------------------------------------------------------------------------
// Script steps.

/// What the fake server does with a request.
#[derive(Clone)]
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

/// One expected request and its answer.
#[derive(Clone)]
pub struct Step {
    method: Method,
    url: String,
    present: Vec<(String, String)>,
    absent: Vec<String>,
    body: Option<Value>,
    reply: Option<Reply>,
    at_ms: Option<u64>,
    hold: bool,
    repeatable: bool,
    any_order: bool,
}

/// Header names whose values a failure message must not print.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "secret", "apiintegrationcode"];

/// Most times a `.retried()` step may be answered; beyond that the core is looping.
const MAX_REPEATS: u32 = 12;

impl Step {
    /// Expect `GET url` (exact string) with no body.
    pub fn get(url: impl Into<String>) -> Step {
        Step::new(Method::Get, url.into(), None)
    }

    /// Expect `POST url` with a JSON body equal to `body` (compared as JSON values).
    pub fn post(url: impl Into<String>, body: Value) -> Step {
        Step::new(Method::Post, url.into(), Some(body))
    }

    fn new(method: Method, url: String, body: Option<Value>) -> Step {
        Step {
            method,
            url,
            present: Vec::new(),
            absent: Vec::new(),
            body,
            reply: None,
            at_ms: None,
            hold: false,
            repeatable: false,
            any_order: false,
        }
    }

    /// The request must carry header `name` (any case) with exactly `value`.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Step {
        self.present.push((name.to_string(), value.into()));
        self
    }

    /// The request must not carry header `name`.
    pub fn no_header(mut self, name: &str) -> Step {
        self.absent.push(name.to_string());
        self
    }

    /// Answer with `status` and `body`.
    pub fn reply(self, status: u16, body: impl Into<Vec<u8>>) -> Step {
        self.reply_with_headers(status, &[], body)
    }

    /// Answer with `status`, response headers and `body`.
    pub fn reply_with_headers(
        mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Step {
        self.reply = Some(Reply::Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        });
        self
    }

    /// The host's HTTP client fails instead of answering.
    pub fn transport_error(mut self, kind: TransportErrorKind, message: &str) -> Step {
        self.reply = Some(Reply::Transport {
            kind,
            message: message.to_string(),
        });
        self
    }

    /// The answer arrives when the clock reads `ms` (the clock never goes backwards); the
    /// clock stays there for the polls that follow.
    pub fn at(mut self, ms: u64) -> Step {
        self.at_ms = Some(ms);
        self
    }

    /// Do not answer at once: keep polling (other jobs may send, or must not) and answer
    /// only when `poll` has nothing more to do. Models a slow response.
    pub fn hold(mut self) -> Step {
        self.hold = true;
        self
    }

    /// The core may send this request again (a retry of a transient failure) any number
    /// of times up to a small bound, each time getting the same answer.
    pub fn retried(mut self) -> Step {
        self.repeatable = true;
        self
    }

    /// Consecutive `any_order` steps may be matched in any order (concurrent jobs).
    pub fn any_order(mut self) -> Step {
        self.any_order = true;
        self
    }

    fn describe(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// Why `request` does not match this step (empty when it does).
    fn mismatches(&self, request: &Request) -> Vec<String> {
        let mut problems = Vec::new();
        if request.method != self.method {
            problems.push(format!(
                "method: expected {}, got {}",
                self.method, request.method
            ));
        }
        if request.url != self.url {
            problems.push(format!(
                "url:\n      expected {}\n      got      {}",
                self.url, request.url
            ));
        }
        for (name, want) in &self.present {
            let shown = |v: &str| {
                if CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    format!("[redacted, {} chars]", v.len())
                } else {
                    format!("{v:?}")
                }
            };
            match request.header(name) {
                Some(got) if got == want => {}
                Some(got) => problems.push(format!(
                    "header {name}: expected {}, got {}",
                    shown(want),
                    shown(got)
                )),
                None => problems.push(format!("header {name}: missing")),
            }
        }
        for name in &self.absent {
            if request.header(name).is_some() {
                problems.push(format!("header {name}: must be absent, but is present"));
            }
        }
        match (&self.body, &request.body) {
            (None, None) => {}
            (None, Some(_)) => problems.push("body: expected none, got one".to_string()),
            (Some(_), None) => problems.push("body: expected JSON, got none".to_string()),
            (Some(want), Some(got)) => match serde_json::from_str::<Value>(got) {
                Ok(got) if got == *want => {}
                Ok(got) => problems.push(format!(
                    "body:\n      expected {want}\n      got      {got}"
                )),
                Err(_) => problems.push(format!("body: not JSON: {got}")),
            },
        }
        problems
    }
}

// ---------------------------------------------------------------------------------------
// The conversation.

/// A client, a fake clock, and everything that happened so far.
pub struct Conversation {
    pub client: Client,
    /// The fake clock (Unix ms) passed to every call.
    pub now_ms: u64,
    /// Every event, in the order `poll` delivered them.
    pub events: Vec<Event>,
    /// Every request the core asked for, in order.
    pub sent: Vec<Request>,
    /// The clock reading at which each request of `sent` was handed out.
    pub sent_at: Vec<u64>,
    /// Every `Wait { until_ms }` the core returned.
    pub waits: Vec<u64>,
}

impl Conversation {
    pub fn new(client: Client) -> Conversation {
        Conversation {
            client,
            now_ms: T0,
            events: Vec::new(),
            sent: Vec::new(),
            sent_at: Vec::new(),
            waits: Vec::new(),
        }
    }

    /// Moves the clock forward to `ms`.
    pub fn advance_to(&mut self, ms: u64) {
        assert!(ms >= self.now_ms, "the clock cannot go back");
        self.now_ms = ms;
    }

    /// Drives the client until `poll` has nothing left to do, answering each request
    /// with the next step of `steps`. Panics on any request that does not match, and on
    /// steps left over. Returns the events of this run.
    pub fn run(&mut self, steps: Vec<Step>) -> Vec<Event> {
        let first_event = self.events.len();
        let first_request = self.sent.len();
        let mut consumed = vec![false; steps.len()];
        let mut uses = vec![0u32; steps.len()];
        let mut next = 0usize;
        let mut last_used: Option<usize> = None;
        let mut held: VecDeque<(Request, usize)> = VecDeque::new();
        let mut guard = 0u32;
        loop {
            guard += 1;
            assert!(
                guard < 100_000,
                "the conversation does not end: {} requests, {} waits so far",
                self.sent.len() - first_request,
                self.waits.len()
            );
            match self.client.poll(self.now_ms) {
                Some(Action::Send(request)) => {
                    let n = self.sent.len() - first_request;
                    let index = match_step(&steps, &consumed, next, last_used, &uses, &request, n);
                    if !consumed[index] {
                        consumed[index] = true;
                    }
                    uses[index] += 1;
                    last_used = Some(index);
                    while next < steps.len() && consumed[next] {
                        next += 1;
                    }
                    self.sent.push(request.clone());
                    self.sent_at.push(self.now_ms);
                    if steps[index].hold {
                        held.push_back((request, index));
                    } else {
                        self.answer(&request, &steps[index], index);
                    }
                }
                Some(Action::Wait { until_ms }) => {
                    assert!(
                        until_ms > self.now_ms,
                        "poll returned Wait until {until_ms}, which is not after now ({}): \
                         the host would spin",
                        self.now_ms
                    );
                    self.waits.push(until_ms);
                    self.now_ms = until_ms;
                }
                Some(Action::Event(event)) => self.events.push(event),
                None => match held.pop_front() {
                    Some((request, index)) => self.answer(&request, &steps[index], index),
                    None => break,
                },
            }
        }
        let left: Vec<String> = steps
            .iter()
            .enumerate()
            .filter(|(i, _)| !consumed[*i])
            .map(|(i, s)| format!("  step {i}: {}", s.describe()))
            .collect();
        assert!(
            left.is_empty(),
            "the client went idle with steps left over:\n{}\nrequests sent in this run:\n{}\nevents:\n{:#?}",
            left.join("\n"),
            self.sent[first_request..]
                .iter()
                .map(|r| format!("  {r:?}"))
                .collect::<Vec<_>>()
                .join("\n"),
            &self.events[first_event..]
        );
        self.events[first_event..].to_vec()
    }

    fn answer(&mut self, request: &Request, step: &Step, index: usize) {
        if let Some(at) = step.at_ms {
            self.now_ms = self.now_ms.max(at);
        }
        let reply = step
            .reply
            .as_ref()
            .unwrap_or_else(|| panic!("step {index} ({}) has no reply", step.describe()));
        let result = match reply {
            Reply::Response {
                status,
                headers,
                body,
            } => self
                .client
                .handle_response(request.id, *status, headers, body, self.now_ms),
            Reply::Transport { kind, message } => {
                self.client
                    .handle_transport_error(request.id, *kind, message, self.now_ms)
            }
        };
        if let Err(e) = result {
            panic!("the client refused the answer to step {index} ({request:?}): {e}");
        }
    }

    /// Requests sent to `url_prefix` (to count them).
    pub fn sent_to(&self, url_prefix: &str) -> usize {
        self.sent
            .iter()
            .filter(|r| r.url.starts_with(url_prefix))
            .count()
    }
}

/// The index of the step `request` (the `n`th of this run) matches, or a panic that
/// says why not.
fn match_step(
    steps: &[Step],
    consumed: &[bool],
    next: usize,
    last_used: Option<usize>,
    uses: &[u32],
    request: &Request,
    n: usize,
) -> usize {
    let mut candidates: Vec<usize> = Vec::new();
    if next < steps.len() {
        if steps[next].any_order {
            candidates.extend(
                (next..steps.len())
                    .take_while(|&i| steps[i].any_order)
                    .filter(|&i| !consumed[i]),
            );
        } else {
            candidates.push(next);
        }
    }
    let mut reasons = Vec::new();
    for &i in &candidates {
        let problems = steps[i].mismatches(request);
        if problems.is_empty() {
            return i;
        }
        reasons.push(format!(
            "  step {i} ({}):\n    {}",
            steps[i].describe(),
            problems.join("\n    ")
        ));
    }
    if let Some(last) = last_used.filter(|&i| steps[i].repeatable) {
        if steps[last].mismatches(request).is_empty() {
            assert!(
                uses[last] < MAX_REPEATS,
                "step {last} ({}) was answered {MAX_REPEATS} times: the core is looping",
                steps[last].describe()
            );
            return last;
        }
    }
    if candidates.is_empty() {
        panic!("request {n} of this run was not in the script (all steps used):\n  {request:?}");
    }
    panic!(
        "request {n} of this run does not match the script:\n{}\nactual request:\n  {request:?}",
        reasons.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Reading events.

/// The pages of job `job`, in order.
pub fn pages(events: &[Event], job: JobId) -> Vec<&Page> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Page(p) if p.job == job => Some(p),
            _ => None,
        })
        .collect()
}

/// Every item of every page of `job`, in order.
pub fn items(events: &[Event], job: JobId) -> Vec<Value> {
    pages(events, job)
        .into_iter()
        .flat_map(|p| p.items.to_values())
        .collect()
}

/// `field` of every item of `job`, in order.
pub fn item_field(events: &[Event], job: JobId, field: &str) -> Vec<Value> {
    items(events, job)
        .into_iter()
        .map(|item| item.get(field).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The events of `job`.
pub fn events_of(events: &[Event], job: JobId) -> Vec<&Event> {
    events.iter().filter(|e| e.job() == job).collect()
}

/// Asserts `job` ended with `Done` (its last event, nothing after) and returns
/// `(requests_made, items)`.
pub fn expect_done(events: &[Event], job: JobId) -> (u32, u64) {
    let mine = events_of(events, job);
    match mine.last() {
        Some(Event::Done {
            requests_made,
            items,
            ..
        }) => {
            assert!(
                mine[..mine.len() - 1]
                    .iter()
                    .all(|e| matches!(e, Event::Page(_))),
                "job {job}: only pages may come before Done: {mine:#?}"
            );
            (*requests_made, *items)
        }
        _ => panic!("job {job} did not end with Done: {mine:#?}"),
    }
}

/// Asserts `job` ended with `Failed` (its last event) and returns `(error, requests_made)`.
pub fn expect_failed(events: &[Event], job: JobId) -> (Error, u32) {
    let mine = events_of(events, job);
    match mine.last() {
        Some(Event::Failed {
            error,
            requests_made,
            ..
        }) => (error.clone(), *requests_made),
        _ => panic!("job {job} did not end with Failed: {mine:#?}"),
    }
}

/// Asserts `job` produced exactly one event, a connection report, and returns it.
pub fn expect_connection(events: &[Event], job: JobId) -> ConnectionReport {
    let mine = events_of(events, job);
    match mine.as_slice() {
        [Event::Connection { report, .. }] => report.clone(),
        _ => panic!("job {job}: expected exactly one Connection event: {mine:#?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Secret hygiene.

/// Every text a user or a log could see: each event's Debug, each error's Display,
/// message, remediation and vendor message, each report's message, the exported state,
/// the client's Debug and each request's Debug.
pub fn visible_texts(conversation: &Conversation) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    let add_error = |texts: &mut Vec<(String, String)>, at: &str, e: &Error| {
        texts.push((format!("{at} error Display"), e.to_string()));
        texts.push((format!("{at} error message"), e.message().to_string()));
        texts.push((
            format!("{at} error remediation"),
            e.remediation().to_string(),
        ));
        if let Some(v) = e.vendor_message() {
            texts.push((format!("{at} error vendor_message"), v.to_string()));
        }
    };
    for (i, event) in conversation.events.iter().enumerate() {
        let at = format!("event {i} ({})", event.kind());
        texts.push((format!("{at} Debug"), format!("{event:?}")));
        match event {
            Event::Failed { error, .. } => add_error(&mut texts, &at, error),
            Event::Connection { report, .. } => {
                texts.push((format!("{at} report message"), report.message.clone()));
                if let Some(error) = &report.error {
                    add_error(&mut texts, &at, error);
                }
            }
            _ => {}
        }
    }
    for (i, request) in conversation.sent.iter().enumerate() {
        texts.push((format!("request {i} Debug"), format!("{request:?}")));
    }
    texts.push(("export_state()".into(), conversation.client.export_state()));
    texts.push(("client Debug".into(), format!("{:?}", conversation.client)));
    texts
}

/// Asserts no secret (nor its Basic/base64 form, which the caller passes too) appears in
/// anything visible. Messages name the secret by index, never print it.
pub fn assert_no_secrets(conversation: &Conversation, secrets: &[&str]) {
    for (where_, text) in visible_texts(conversation) {
        for (i, secret) in secrets.iter().enumerate() {
            assert!(
                !text.contains(secret),
                "secret #{i} leaked into {where_} (length {})",
                text.len()
            );
        }
    }
}

/// The base64 part of a Basic header value (what a server echo would show).
pub fn basic_payload(user: &str, secret: &str) -> String {
    basic(user, secret).trim_start_matches("Basic ").to_string()
}
