//! Shared helpers for the simulator's HTTP tests: start a simulator in-process, send real
//! HTTP requests on loopback (any status comes back as a `Resp`, never as an error), and
//! check that no secret of the startup line ever shows up in a response.
#![allow(dead_code, unused_imports)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

pub use mspkit_sim::data::Counts;
pub use mspkit_sim::faults::FaultRule;
pub use mspkit_sim::Config;

/// A config with the "small" data preset (and `sets` applied, e.g. `("vsax.devices", 5200)`).
pub fn small(sets: &[(&str, usize)]) -> Config {
    let mut counts = Counts::preset("small").expect("the small preset exists");
    for (name, n) in sets {
        counts.set(name, *n).expect("a known count name");
    }
    Config {
        counts,
        ..Default::default()
    }
}

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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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

/// A request the client could not complete (connection refused, reset, cut body...).
#[derive(Debug)]
pub struct TransportError(pub String);

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

    /// The line's string at `a.b`.
    pub fn cred(&self, section: &str, key: &str) -> String {
        self.line[section][key]
            .as_str()
            .unwrap_or_else(|| panic!("startup line has no {section}.{key}"))
            .to_string()
    }

    /// Every secret the simulator accepts (the startup line's and the limited ones).
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Panics if any secret appears in the response's headers or body.
    pub fn assert_no_secret(&self, resp: &Resp) {
        let body = resp.text();
        for secret in &self.secrets {
            assert!(
                !body.contains(secret.as_str()),
                "a secret leaked into a {} body: {body}",
                resp.status
            );
            for (name, value) in &resp.headers {
                assert!(
                    !value.contains(secret.as_str()),
                    "a secret leaked into header {name}"
                );
            }
        }
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.origin())
        }
    }

    /// Sends a request; transport failures come back as `Err`.
    pub fn try_send(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Resp, TransportError> {
        let resp = http(method, &self.absolute(path_or_url), headers, body)?;
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
            .unwrap_or_else(|e| panic!("{method} {path_or_url}: {}", e.0))
    }

    pub fn get(&self, path_or_url: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", path_or_url, headers, None)
    }

    pub fn post_json(&self, path_or_url: &str, headers: &[(&str, &str)], body: &Value) -> Resp {
        let mut all = headers.to_vec();
        all.push(("Content-Type", "application/json"));
        self.send("POST", path_or_url, &all, Some(body.to_string().as_bytes()))
    }

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
            &self.cred("vsax", "token_id"),
            &self.cred("vsax", "token_secret"),
        )
    }

    pub fn vsax_limited_basic(&self) -> String {
        let c = &self.run.sim.credentials.vsax.limited;
        basic(&c.token_id, &c.token_secret)
    }

    /// GET /api/v3/{path} with the full token.
    pub fn vsax(&self, path: &str) -> Resp {
        let auth = self.vsax_basic();
        self.get(
            &format!("/api/v3/{path}"),
            &[("Authorization", auth.as_str())],
        )
    }

    /// GET of an absolute link with the full VSA X token.
    pub fn vsax_url(&self, url: &str) -> Resp {
        let auth = self.vsax_basic();
        self.get(url, &[("Authorization", auth.as_str())])
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
        basic(&self.cred("vsa9", "username"), &self.cred("vsa9", "token"))
    }

    /// A new session token from /auth with the PAT.
    pub fn vsa9_session(&self) -> String {
        let auth = self.vsa9_pat_basic();
        let resp = self.get("/api/v1.0/auth", &[("Authorization", auth.as_str())]);
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["Result"]["Token"]
            .as_str()
            .expect("Result.Token")
            .to_string()
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
            &self.cred("vsa9", "username"),
            &self.cred("vsa9", "warehouse_token"),
        )
    }

    // ---- Autotask ----

    /// (UserName, Secret, ApiIntegrationCode) of the full API user.
    pub fn autotask_creds(&self) -> (String, String, String) {
        (
            self.cred("autotask", "username"),
            self.cred("autotask", "secret"),
            self.cred("autotask", "integration_code"),
        )
    }

    /// A request to /ATServicesRest/V1.0/{path} with the full user's headers.
    pub fn autotask(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let (user, secret, code) = self.autotask_creds();
        self.autotask_as(method, path, body, &user, &secret, &code)
    }

    pub fn autotask_as(
        &self,
        method: &str,
        path_or_url: &str,
        body: Option<&Value>,
        user: &str,
        secret: &str,
        code: &str,
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

    // ---- byte level ----

    /// Writes `request` on a new connection and reads until the server closes it.
    /// Returns what arrived and the error that ended reading, if any.
    pub fn raw(&self, request: &str) -> (Vec<u8>, Option<std::io::Error>) {
        let mut stream = TcpStream::connect(self.run.addr).expect("connect");
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
        let text = String::from_utf8_lossy(&received);
        for secret in &self.secrets {
            assert!(!text.contains(secret.as_str()), "a secret leaked: {text}");
        }
        (received, error)
    }
}

/// One HTTP request to an absolute URL; any status comes back as a `Resp`.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Resp, TransportError> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        // A fresh connection per request: a pooled one that meets an injected reset
        // would be retried by ureq on a new connection, hiding the fault.
        .max_idle_connections(0)
        .redirects(0)
        .build();
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(t)) => return Err(TransportError(t.to_string())),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            response
                .all(&name)
                .into_iter()
                .map(|v| (name.to_ascii_lowercase(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut body)
        .map_err(|e| TransportError(format!("reading the body: {e}")))?;
    Ok(Resp {
        status,
        headers,
        body,
    })
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
