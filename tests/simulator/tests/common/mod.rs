//! What every test file shares: a simulator started in-process (its config, startup line,
//! credentials, stats and counters), HTTP on loopback where any status comes back as a
//! `Resp`, raw bytes on a socket, and the checks that the startup line works and that no
//! secret of it ever shows up in a response.

// Each test file compiles this module on its own, and none uses all of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

pub use mspkit_sim::faults::FaultRule;
pub use mspkit_sim::Config;

// --- configs ---------------------------------------------------------------------------

/// The "small" data set with `counts` on top (`("vsax.devices", 5200)`), `limits`
/// (`("vsax.default", "5/1s")`) and `faults` (JSON rules) applied; the rest as the binary's
/// defaults.
pub fn config(counts: &[(&str, usize)], limits: &[(&str, &str)], faults: &[&str]) -> Config {
    let mut config = Config {
        counts: mspkit_sim::data::Counts::preset("small").expect("the small preset exists"),
        ..Config::default()
    };
    for (name, n) in counts {
        config.counts.set(name, *n).expect("a known count name");
    }
    for (name, spec) in limits {
        config.limits.set(name, spec).expect("a valid limit");
    }
    for rule in faults {
        config
            .faults
            .push(FaultRule::parse(rule).expect("a valid fault rule"));
    }
    config
}

/// The "small" data set with `counts` on top.
pub fn small(counts: &[(&str, usize)]) -> Config {
    config(counts, &[], &[])
}

// --- HTTP ------------------------------------------------------------------------------

/// One response, whatever its status.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }
}

/// A request that got no complete response.
#[derive(Debug)]
pub enum Failure {
    /// Connection refused, reset, timed out... (boxed: it is large)
    Transport(Box<ureq::Transport>),
    /// The head arrived, the body did not (cut short, timed out).
    Body(std::io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transport(t) => write!(f, "{t}"),
            Failure::Body(e) => write!(f, "reading the body: {e}"),
        }
    }
}

/// An HTTP client whose requests time out after `timeout`.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(timeout)
        // A fresh connection per request: ureq silently repeats a request that fails on a
        // reused connection, which would hide injected resets and cuts.
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .redirects(0)
        .build()
}

/// Sends one request with `agent`; any status comes back as a `Resp`.
pub fn exchange(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Resp, Failure> {
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(t)) => return Err(Failure::Transport(Box::new(t))),
    };
    let status = response.status();
    // ureq lower-cases the names.
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            let values: Vec<String> = response.all(&name).into_iter().map(String::from).collect();
            values.into_iter().map(move |v| (name.clone(), v))
        })
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut body)
        .map_err(Failure::Body)?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// One request to an absolute URL on a fresh client (20 s timeout).
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Resp, Failure> {
    exchange(&agent(Duration::from_secs(20)), method, url, headers, body)
}

/// Writes `request` on a new connection to `addr` and reads until the server closes it.
/// Returns what arrived and the error that ended reading, if any.
pub fn raw(addr: SocketAddr, request: &str) -> (Vec<u8>, Option<std::io::Error>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut received = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let error = loop {
        match stream.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => break Some(e),
        }
    };
    (received, error)
}

/// Splits a raw HTTP/1.1 response into status, lower-cased headers and the body bytes.
pub fn split_raw(bytes: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete header block");
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, bytes[end + 4..].to_vec())
}

/// `Basic base64(user:pass)`.
pub fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// Percent-encodes a query component.
pub fn enc(text: &str) -> String {
    mspkit_sim::http::encode_component(text)
}

/// Runs `f` on `n` threads at once and returns their results in thread order.
pub fn concurrently<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a request thread panicked"))
            .collect()
    })
}

// --- the simulator ---------------------------------------------------------------------

/// A simulator running for one test, with its startup line.
pub struct Sim {
    pub run: mspkit_sim::Running,
    pub line: Value,
    secrets: Vec<String>,
}

impl Sim {
    pub fn start(config: Config) -> Sim {
        let run = mspkit_sim::start(config).expect("the simulator starts");
        let line = run.startup_line();
        let secrets = run
            .sim
            .credentials
            .secrets()
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        assert!(secrets.iter().all(|s| s.len() >= 16), "secrets are long");
        Sim { run, line, secrets }
    }

    pub fn small() -> Sim {
        Sim::start(small(&[]))
    }

    pub fn origin(&self) -> String {
        self.run.origin()
    }

    /// The startup line's string at `section.key`.
    pub fn cred(&self, section: &str, key: &str) -> &str {
        self.line[section][key]
            .as_str()
            .unwrap_or_else(|| panic!("startup line has no {section}.{key}"))
    }

    /// Every secret the simulator accepts (the startup line's and the limited ones).
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Panics if any secret appears in `text`.
    fn assert_no_secret_in(&self, text: &str, place: &str) {
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into {place}"
            );
        }
    }

    /// Panics if any secret appears in the response's headers or body.
    pub fn assert_no_secret(&self, resp: &Resp) {
        let body = resp.text();
        self.assert_no_secret_in(&body, &format!("a {} body: {body}", resp.status));
        for (name, value) in &resp.headers {
            self.assert_no_secret_in(value, &format!("header {name}"));
        }
    }

    /// Sends a request to a path of the simulator or an absolute URL; transport failures
    /// come back as `Err`.
    pub fn try_send(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Resp, Failure> {
        let url = if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.origin())
        };
        let resp = http(method, &url, headers, body)?;
        self.assert_no_secret(&resp);
        Ok(resp)
    }

    /// Sends a request that must get a response (any status).
    pub fn send(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        self.try_send(method, path_or_url, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path_or_url}: {e}"))
    }

    pub fn get(&self, path_or_url: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", path_or_url, headers, None)
    }

    pub fn post_json(&self, path_or_url: &str, headers: &[(&str, &str)], body: &Value) -> Resp {
        let mut all = headers.to_vec();
        all.push(("Content-Type", "application/json"));
        self.send("POST", path_or_url, &all, Some(body.to_string().as_bytes()))
    }

    /// Writes `request` on a new connection (see `raw`), checking what came back for secrets.
    pub fn raw(&self, request: &str) -> (Vec<u8>, Option<std::io::Error>) {
        let (received, error) = raw(self.run.addr, request);
        self.assert_no_secret_in(&String::from_utf8_lossy(&received), "a raw response");
        (received, error)
    }

    // ---- the simulator's own endpoints ----

    /// `GET /_sim/stats`.
    pub fn stats(&self) -> Value {
        let resp = self.get("/_sim/stats", &[]);
        assert_eq!(resp.status, 200);
        resp.json()
    }

    /// `/_sim/stats` counters of one endpoint, e.g. `vsax GET devices`.
    pub fn endpoint(&self, key: &str) -> Value {
        self.stats()["endpoints"][key].clone()
    }

    /// `POST /_sim/reset` with `body`; panics unless it is accepted.
    pub fn reset(&self, body: &Value) {
        let resp = self.post_json("/_sim/reset", &[], body);
        assert_eq!(resp.status, 200, "reset refused: {}", resp.text());
    }

    // ---- VSA X ----

    pub fn vsax_basic(&self) -> String {
        basic(
            self.cred("vsax", "token_id"),
            self.cred("vsax", "token_secret"),
        )
    }

    pub fn vsax_limited_basic(&self) -> String {
        let c = &self.run.sim.credentials.vsax.limited;
        basic(&c.token_id, &c.token_secret)
    }

    /// GET /api/v3/{path} with the full token.
    pub fn vsax(&self, path: &str) -> Resp {
        self.vsax_url(&format!("/api/v3/{path}"))
    }

    /// GET of a path or an absolute link with the full VSA X token.
    pub fn vsax_url(&self, path_or_url: &str) -> Resp {
        let auth = self.vsax_basic();
        self.get(path_or_url, &[("Authorization", auth.as_str())])
    }

    /// Every record of a VSA X list, by $skip (lists up to 5,000).
    pub fn vsax_all(&self, list: &str) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let sep = if list.contains('?') { '&' } else { '?' };
            let resp = self.vsax(&format!("{list}{sep}$skip={}", all.len()));
            assert_eq!(resp.status, 200, "{}", resp.text());
            let body = resp.json();
            let page = body["Data"].as_array().expect("Data is a list").clone();
            let total = body["Meta"]["TotalCount"].as_u64().expect("TotalCount");
            let empty = page.is_empty();
            all.extend(page);
            if empty || all.len() as u64 >= total {
                return all;
            }
        }
    }

    // ---- VSA 9 ----

    pub fn vsa9_pat_basic(&self) -> String {
        basic(self.cred("vsa9", "username"), self.cred("vsa9", "token"))
    }

    /// A new session token from /auth with `auth` (an `Authorization` value).
    pub fn vsa9_session_as(&self, auth: &str) -> String {
        let resp = self.get("/api/v1.0/auth", &[("Authorization", auth)]);
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["Result"]["Token"]
            .as_str()
            .expect("Result.Token")
            .to_string()
    }

    /// A new session token from /auth with the PAT.
    pub fn vsa9_session(&self) -> String {
        self.vsa9_session_as(&self.vsa9_pat_basic())
    }

    /// GET /api/v1.0/{path} with `Bearer token`.
    pub fn vsa9(&self, token: &str, path: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.get(
            &format!("/api/v1.0/{path}"),
            &[("Authorization", auth.as_str())],
        )
    }

    // ---- Data Warehouse ----

    pub fn warehouse_basic(&self) -> String {
        basic(
            self.cred("vsa9", "username"),
            self.cred("vsa9", "warehouse_token"),
        )
    }

    /// GET {path} with the Data Warehouse token and `extra` headers.
    pub fn warehouse(&self, path: &str, extra: &[(&str, &str)]) -> Resp {
        let auth = self.warehouse_basic();
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        self.get(path, &headers)
    }

    // ---- Autotask ----

    /// (UserName, Secret, ApiIntegrationCode) of the full API user.
    pub fn autotask_creds(&self) -> (&str, &str, &str) {
        (
            self.cred("autotask", "username"),
            self.cred("autotask", "secret"),
            self.cred("autotask", "integration_code"),
        )
    }

    /// A request to /ATServicesRest/V1.0/{path} with the full user's headers.
    pub fn autotask(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.autotask_as(self.autotask_creds(), method, path, body)
    }

    /// A request to /ATServicesRest/V1.0/{path} (or an absolute link) as
    /// (UserName, Secret, ApiIntegrationCode).
    pub fn autotask_as(
        &self,
        (user, secret, code): (&str, &str, &str),
        method: &str,
        path_or_url: &str,
        body: Option<&Value>,
    ) -> Resp {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("/ATServicesRest/V1.0/{path_or_url}")
        };
        let headers = [
            ("ApiIntegrationCode", code),
            ("UserName", user),
            ("Secret", secret),
            ("Content-Type", "application/json"),
        ];
        let text = body.map(Value::to_string);
        self.send(method, &url, &headers, text.as_deref().map(str::as_bytes))
    }
}

// --- stats -----------------------------------------------------------------------------

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

// --- the startup line ------------------------------------------------------------------

/// The keys issue 4 lists, per section.
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

fn keys(value: &Value) -> BTreeSet<&str> {
    let object = value.as_object().expect("an object");
    object.keys().map(String::as_str).collect()
}

/// Checks a startup line (in-process or printed by the binary): its keys, that every
/// credential in it works, and that its stats and reset URLs answer.
pub fn check_startup_line(line: &Value) {
    let expected_top = BTreeSet::from(["vsax", "vsa9", "autotask", "stats_url", "reset_url"]);
    assert_eq!(keys(line), expected_top, "top-level keys");
    for (section, listed) in LISTED {
        for key in *listed {
            assert!(
                line[section][key].as_str().is_some_and(|v| !v.is_empty()),
                "{section}.{key} is a non-empty string"
            );
        }
        // Extras beyond the list: the limited credentials tests use for 403s,
        // and Autotask's zone URL.
        let extras: BTreeSet<&str> = keys(&line[section])
            .into_iter()
            .filter(|k| !listed.contains(k))
            .collect();
        let allowed = match *section {
            "autotask" => BTreeSet::from(["limited", "zone_url"]),
            _ => BTreeSet::from(["limited"]),
        };
        assert_eq!(extras, allowed, "{section}: keys beyond the issue's list");
    }
    let s = |section: &str, key: &str| line[section][key].as_str().unwrap().to_string();
    let get = |url: String, auth: &str| {
        let resp = http("GET", &url, &[("Authorization", auth)], None).expect("an answer");
        assert_eq!(resp.status, 200, "GET {url}: {}", resp.text());
        resp.json()
    };

    // VSA X.
    let auth = basic(&s("vsax", "token_id"), &s("vsax", "token_secret"));
    let orgs = get(
        format!("{}/api/v3/organizations", s("vsax", "tenant_url")),
        &auth,
    );
    assert!(orgs["Meta"]["TotalCount"].as_u64().unwrap() > 0);

    // VSA 9: PAT session, then a list; Data Warehouse token.
    let server = s("vsa9", "server_url");
    let pat = basic(&s("vsa9", "username"), &s("vsa9", "token"));
    let session = get(format!("{server}/api/v1.0/auth"), &pat);
    let bearer = format!("Bearer {}", session["Result"]["Token"].as_str().unwrap());
    let orgs = get(format!("{server}/api/v1.0/system/orgs"), &bearer);
    assert_eq!(orgs["ResponseCode"], 0);
    let warehouse = basic(&s("vsa9", "username"), &s("vsa9", "warehouse_token"));
    get(format!("{server}/api/odata/1.0/Agents"), &warehouse);

    // Autotask: discover the zone, then query it.
    let user = s("autotask", "username");
    let discovery = format!(
        "{}?user={}",
        s("autotask", "zone_discovery_url"),
        enc(&user)
    );
    let zone = http("GET", &discovery, &[], None).unwrap().json()["url"]
        .as_str()
        .unwrap()
        .to_string();
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

    // The simulator's own endpoints.
    let stats = http("GET", line["stats_url"].as_str().unwrap(), &[], None).unwrap();
    assert_eq!(stats.status, 200);
    assert!(stats.json()["endpoints"].is_object());
    assert!(stats.json()["records"].is_object());
    let reset_url = line["reset_url"].as_str().unwrap();
    let reset = http("POST", reset_url, &[], Some(b"{}")).unwrap();
    assert_eq!(reset.status, 200);
}
