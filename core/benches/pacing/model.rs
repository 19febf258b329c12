//! The model servers: a VSA X tenant and an Autotask tenant that enforce the documented
//! limits exactly (strict sliding windows over every request's virtual arrival time) and
//! answer 429 past them. They also answer the lists, so the client runs its real paging.
//!
//! Window convention (the same as the core's): a request that arrived at `s` counts at
//! `t` while `t - s < length`, so a window holds the arrivals of any half-open interval
//! `[t - length + 1 ms, t]`. Every arrival counts, refused ones included: the vendors
//! count what reaches them.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use mspkit_core::{Method, Request};
use serde_json::{json, Value};
use url::Url;

pub const SECOND: u64 = 1_000;
pub const MINUTE: u64 = 60 * SECOND;
pub const HOUR: u64 = 60 * MINUTE;
pub const DAY: u64 = 24 * HOUR;

/// A status, headers and a body, as the host's HTTP client would hand them back.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    fn retry_after(mut self, seconds: Option<u64>) -> Reply {
        if let Some(s) = seconds {
            self.headers.push(("Retry-After".into(), s.to_string()));
        }
        self
    }
}

/// What the simulation asks of a server.
pub trait Server {
    /// Answers `request`, which arrives at `now` and is answered at `now + latency`.
    fn answer(&mut self, now: u64, request: &Request, latency: u64) -> Reply;
}

/// One documented limit: at most `limit` within any `per_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub limit: u32,
    pub per_ms: u64,
}

impl Limit {
    pub const fn new(name: &'static str, limit: u32, per_ms: u64) -> Limit {
        Limit {
            name,
            limit,
            per_ms,
        }
    }
}

/// Arrival times of one kind of request and the limits they are held to.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    pub limits: Vec<Limit>,
    times: Vec<u64>,
}

impl Meter {
    pub fn new(limits: Vec<Limit>) -> Meter {
        Meter {
            limits,
            times: Vec::new(),
        }
    }

    /// Arrivals that still count at `now` in a window of `per_ms`.
    pub fn count_in(&self, per_ms: u64, now: u64) -> usize {
        self.times.len() - self.times.partition_point(|&s| s + per_ms <= now)
    }

    /// The earliest instant at or after `now` at which one more arrival fits every limit.
    pub fn admit_at(&self, now: u64) -> u64 {
        let n = self.times.len();
        self.limits
            .iter()
            .filter(|l| n >= l.limit as usize)
            .map(|l| {
                if l.limit == 0 {
                    u64::MAX
                } else {
                    self.times[n - l.limit as usize] + l.per_ms
                }
            })
            .fold(now, u64::max)
    }

    pub fn record(&mut self, now: u64) {
        assert!(
            self.times.last().is_none_or(|&last| last <= now),
            "the model saw time run backwards"
        );
        self.times.push(now);
    }

    /// The most arrivals inside any window of each limit (checked after the run).
    pub fn peaks(&self) -> Vec<(Limit, usize)> {
        self.limits
            .iter()
            .map(|&l| (l, peak(&self.times, l.per_ms)))
            .collect()
    }

    /// The most arrivals within any window of `per_ms`, for a limit the meter does not
    /// enforce (a client's own share).
    pub fn peak(&self, per_ms: u64) -> usize {
        peak(&self.times, per_ms)
    }
}

/// Max number of `times` (sorted) inside any half-open interval of length `per_ms`.
fn peak(times: &[u64], per_ms: u64) -> usize {
    let mut best = 0;
    let mut end = 0;
    for (start, &s) in times.iter().enumerate() {
        while end < times.len() && times[end] < s + per_ms {
            end += 1;
        }
        best = best.max(end - start);
    }
    best
}

/// VSA X's failed-request block per client IP: once the failures within a window reach
/// its threshold, every request is refused for the block's duration.
#[derive(Debug, Clone)]
pub struct Guard {
    pub failures: Meter,
    durations: Vec<u64>,
    blocked_until: u64,
    pub blocks: u32,
}

impl Guard {
    fn documented() -> Guard {
        Guard {
            failures: Meter::new(vec![
                Limit::new("fail_1m", 30, MINUTE),
                Limit::new("fail_5m", 100, 5 * MINUTE),
                Limit::new("fail_1h", 300, HOUR),
                Limit::new("fail_1d", 1000, DAY),
            ]),
            durations: vec![MINUTE, 5 * MINUTE, HOUR, DAY],
            blocked_until: 0,
            blocks: 0,
        }
    }

    fn is_blocked(&self, now: u64) -> bool {
        now < self.blocked_until
    }

    fn fail(&mut self, now: u64) {
        self.failures.record(now);
        for (limit, duration) in self.failures.limits.iter().zip(&self.durations) {
            if self.failures.count_in(limit.per_ms, now) >= limit.limit as usize {
                if !self.is_blocked(now) {
                    self.blocks += 1;
                }
                self.blocked_until = self.blocked_until.max(now + duration);
            }
        }
    }
}

/// Counts of what the model answered.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Requests that reached the model from the clients under test.
    pub requests: u64,
    /// Answers that refused a request for a limit or a block (429), any sender's.
    pub rejected: u64,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
}

impl Tally {
    pub fn failures(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }
}

// --- VSA X ------------------------------------------------------------------------------

pub const VSAX_HOST: &str = "acme.vsax.net";
pub const VSAX_TOKEN_ID: &str = "TOKEN_ID";
pub const VSAX_TOKEN_SECRET: &str = "TOKEN_SECRET";

/// `Basic base64(id:secret)`: what the tenant expects (and a Notify host sends).
pub fn basic_authorization(id: &str, secret: &str) -> String {
    let pair = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A VSA X tenant: `devices` and `assets` lists, Notify, 404 for anything else, every
/// documented limit and the failed-request block.
pub struct VsaxModel {
    authorization: String,
    pub devices: u64,
    pub assets: u64,
    /// 3,600/h over every request.
    pub all: Meter,
    /// Get Assets: 60/h.
    pub assets_meter: Meter,
    /// Notify (POST notifications): five windows at once.
    pub notify: Meter,
    pub guard: Guard,
    pub tally: Tally,
}

impl VsaxModel {
    pub fn new(devices: u64, assets: u64) -> VsaxModel {
        VsaxModel {
            authorization: basic_authorization(VSAX_TOKEN_ID, VSAX_TOKEN_SECRET),
            devices,
            assets,
            all: Meter::new(vec![Limit::new("1h", 3600, HOUR)]),
            assets_meter: Meter::new(vec![Limit::new("assets_1h", 60, HOUR)]),
            notify: Meter::new(vec![
                Limit::new("notify_5s", 10, 5 * SECOND),
                Limit::new("notify_1m", 50, MINUTE),
                Limit::new("notify_5m", 200, 5 * MINUTE),
                Limit::new("notify_1h", 500, HOUR),
                Limit::new("notify_1d", 2000, DAY),
            ]),
            guard: Guard::documented(),
            tally: Tally::default(),
        }
    }

    fn error(code: u16, message: &str) -> Reply {
        Reply::json(
            code,
            &json!({"Data": null, "Meta": {"ResponseCode": code, "ErrorMessage": message}}),
        )
    }

    fn route(&self, method: Method, segments: &[&str], url: &Url) -> Reply {
        match (method, segments) {
            (Method::Get, ["devices"]) => self.list(url, self.devices, |i| {
                json!({"Identifier": format!("00000000-0000-4000-8000-{i:012}"), "Name": format!("DEV-{i}")})
            }),
            (Method::Get, ["assets"]) => self.list(url, self.assets, |i| {
                json!({"Identifier": format!("10000000-0000-4000-8000-{i:012}"), "Name": format!("ASSET-{i}")})
            }),
            (Method::Post, ["notifications"]) => {
                Reply::json(200, &json!({"Meta": {"ResponseCode": 200}}))
            }
            _ => VsaxModel::error(404, "Entity is not found."),
        }
    }

    fn list(&self, url: &Url, total: u64, item: impl Fn(u64) -> Value) -> Reply {
        let (mut top, mut skip) = (100, 0);
        for (k, v) in url.query_pairs() {
            match &*k {
                "$top" => top = v.parse::<u64>().unwrap_or(100).min(100),
                "$skip" => skip = v.parse::<u64>().unwrap_or(0),
                _ => {}
            }
        }
        let data: Vec<Value> = (skip..(skip + top).min(total)).map(item).collect();
        Reply::json(
            200,
            &json!({"Data": data, "Meta": {"ResponseCode": 200, "TotalCount": total}}),
        )
    }
}

impl Server for VsaxModel {
    fn answer(&mut self, now: u64, request: &Request, _latency: u64) -> Reply {
        self.tally.requests += 1;
        let url = Url::parse(&request.url).expect("the client sends absolute URLs");
        assert_eq!(url.host_str(), Some(VSAX_HOST), "VSA X request elsewhere");
        let path = url.path().strip_prefix("/api/v3/").unwrap_or("");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let class_meter = match (request.method, lower.as_slice()) {
            (Method::Post, [n]) if n == "notifications" => Some(&mut self.notify),
            (Method::Get, [a, ..]) if a == "assets" => Some(&mut self.assets_meter),
            (Method::Get, [d, _, a, ..]) if d == "devices" && a == "assets" => {
                Some(&mut self.assets_meter)
            }
            _ => None,
        };
        // Admission: the block first, then every window the request counts in. The
        // arrival is recorded either way.
        let admit_at = class_meter
            .as_ref()
            .map_or(now, |m| m.admit_at(now))
            .max(self.all.admit_at(now));
        if let Some(m) = class_meter {
            m.record(now);
        }
        self.all.record(now);
        let reply = if self.guard.is_blocked(now) {
            self.tally.rejected += 1;
            let wait = self.guard.blocked_until - now;
            VsaxModel::error(
                429,
                "This IP address is blocked after too many failed requests",
            )
            .retry_after(Some(wait.div_ceil(SECOND)))
        } else if admit_at > now {
            self.tally.rejected += 1;
            VsaxModel::error(429, "Rate limit exceeded")
                .retry_after(Some((admit_at - now).div_ceil(SECOND)))
        } else if request.header("Authorization") != Some(self.authorization.as_str()) {
            VsaxModel::error(401, "Unauthorized")
        } else {
            self.route(request.method, &segments, &url)
        };
        if !(200..300).contains(&reply.status) {
            self.guard.fail(now);
        }
        *self.tally.statuses.entry(reply.status).or_default() += 1;
        reply
    }
}

// --- Autotask -----------------------------------------------------------------------------

pub const AUTOTASK_DISCOVERY_HOST: &str = "webservices.autotask.net";
pub const AUTOTASK_ZONE: &str = "https://webservices15.autotask.net/ATServicesRest/";
pub const AUTOTASK_USER: &str = "api@acme.example";
pub const AUTOTASK_SECRET: &str = "SECRET";
pub const AUTOTASK_CODE: &str = "TRACKING-ID";

/// Another integration of the same tenant, sending steadily.
struct Background {
    next_at: u64,
    every_ms: u64,
}

/// An Autotask tenant: zone discovery, `Companies` queries with next-page links,
/// ThresholdInformation, 10,000 requests per rolling hour over every integration, and
/// 3 concurrent requests per entity and integration.
pub struct AutotaskModel {
    pub companies: u64,
    /// Every request of the tenant, every integration's: 10,000/h.
    pub tenant: Meter,
    /// The requests of the client under test (no limit of the server's own).
    pub ours: Meter,
    /// Completion times of requests in flight, per entity, for the thread limit.
    threads: HashMap<String, Vec<u64>>,
    background: Option<Background>,
    pub background_sent: u64,
    pub tally: Tally,
    /// ThresholdInformation readings served: (time, count).
    pub readings: Vec<(u64, usize)>,
}

impl AutotaskModel {
    pub fn new(companies: u64) -> AutotaskModel {
        AutotaskModel {
            companies,
            tenant: Meter::new(vec![Limit::new("tenant_1h", 10_000, HOUR)]),
            ours: Meter::default(),
            threads: HashMap::new(),
            background: None,
            background_sent: 0,
            tally: Tally::default(),
            readings: Vec::new(),
        }
    }

    /// Another integration sends `per_hour` requests an hour, evenly, from `since`.
    pub fn with_background(mut self, per_hour: u64, since: u64) -> AutotaskModel {
        self.background = Some(Background {
            next_at: since,
            every_ms: HOUR / per_hour,
        });
        self
    }

    /// Lets the other integration's requests up to `now` arrive.
    fn advance_to(&mut self, now: u64) {
        let Some(bg) = &mut self.background else {
            return;
        };
        while bg.next_at <= now {
            let at = bg.next_at;
            if self.tenant.admit_at(at) > at {
                self.tally.rejected += 1;
            }
            self.tenant.record(at);
            self.background_sent += 1;
            bg.next_at += bg.every_ms;
        }
    }

    fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, &json!({"errors": [message]}))
    }

    fn zone_information(&self, url: &Url) -> Reply {
        let user = url
            .query_pairs()
            .find(|(k, _)| k == "user")
            .map(|(_, v)| v.into_owned());
        if user.as_deref() != Some(AUTOTASK_USER) {
            return AutotaskModel::error(500, "Zone information could not be determined");
        }
        Reply::json(
            200,
            &json!({"zoneName": "Simulated", "url": AUTOTASK_ZONE,
                    "webUrl": "https://ww15.autotask.net/", "ci": 1}),
        )
    }

    /// `POST Companies/query` (start from the body's filter) or `.../query/next`
    /// (start from the link's `paging`).
    fn companies(&self, request: &Request, url: &Url, next: bool) -> Reply {
        let body: Value = request
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        let mut size = body["maxRecords"].as_u64().unwrap_or(500).clamp(1, 500);
        let mut first = 1;
        for item in body["filter"].as_array().into_iter().flatten() {
            if item["field"]
                .as_str()
                .is_some_and(|f| f.eq_ignore_ascii_case("id"))
            {
                let value = item["value"].as_u64().unwrap_or(0);
                match item["op"].as_str() {
                    Some("gt") => first = first.max(value + 1),
                    Some("gte") => first = first.max(value),
                    _ => {}
                }
            }
        }
        if next {
            let paging: Option<Value> = url
                .query_pairs()
                .find(|(k, _)| k == "paging")
                .and_then(|(_, v)| serde_json::from_str(&v).ok());
            let Some(paging) = paging else {
                return AutotaskModel::error(404, "The paging parameter is missing");
            };
            size = paging["pageSize"].as_u64().unwrap_or(size);
            first = paging["nextIds"][0].as_u64().unwrap_or(first);
        }
        let first = first.max(1);
        let last = (first + size - 1).min(self.companies);
        let items: Vec<Value> = (first..=last)
            .map(|id| json!({"id": id, "companyName": format!("Company {id}")}))
            .collect();
        let next_url = (last < self.companies).then(|| {
            let mut link = Url::parse(AUTOTASK_ZONE)
                .and_then(|z| z.join("V1.0/Companies/query/next"))
                .expect("zone URL");
            let paging = json!({"pageSize": size, "previousIds": [first], "nextIds": [last + 1]});
            link.query_pairs_mut()
                .append_pair("paging", &paging.to_string());
            link.to_string()
        });
        Reply::json(
            200,
            &json!({"items": items, "pageDetails": {"count": items.len(), "requestCount": size,
                    "prevPageUrl": null, "nextPageUrl": next_url}}),
        )
    }
}

impl Server for AutotaskModel {
    fn answer(&mut self, now: u64, request: &Request, latency: u64) -> Reply {
        self.advance_to(now);
        self.tally.requests += 1;
        let url = Url::parse(&request.url).expect("the client sends absolute URLs");
        if url.host_str() == Some(AUTOTASK_DISCOVERY_HOST) {
            // Zone discovery is global, before any tenant is known: not in the tenant's
            // count.
            let reply = self.zone_information(&url);
            *self.tally.statuses.entry(reply.status).or_default() += 1;
            return reply;
        }
        let path = url
            .path()
            .strip_prefix("/ATServicesRest/V1.0/")
            .expect("an Autotask zone path");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let entity = segments.first().copied().unwrap_or("").to_ascii_lowercase();
        let admit_at = self.tenant.admit_at(now);
        self.tenant.record(now);
        self.ours.record(now);
        let in_flight = self.threads.entry(entity).or_default();
        in_flight.retain(|&done| done > now);
        let authorized = request.header("UserName") == Some(AUTOTASK_USER)
            && request.header("Secret") == Some(AUTOTASK_SECRET)
            && request.header("ApiIntegrationCode") == Some(AUTOTASK_CODE);
        let reply = if admit_at > now {
            self.tally.rejected += 1;
            AutotaskModel::error(
                429,
                "The request threshold of 10000 requests per 60 minutes has been exceeded",
            )
        } else if in_flight.len() >= 3 {
            self.tally.rejected += 1;
            AutotaskModel::error(
                429,
                "The Autotask API thread threshold of 3 threads has been exceeded",
            )
        } else if !authorized {
            AutotaskModel::error(401, "Unauthorized")
        } else {
            in_flight.push(now + latency);
            match (request.method, segments.as_slice()) {
                (Method::Post, ["Companies", "query"]) => self.companies(request, &url, false),
                (Method::Post, ["Companies", "query", "next"]) => {
                    self.companies(request, &url, true)
                }
                (Method::Get, ["ThresholdInformation"]) => {
                    let count = self.tenant.count_in(HOUR, now);
                    self.readings.push((now, count));
                    Reply::json(
                        200,
                        &json!({"externalRequestThreshold": 10_000,
                                "requestThresholdTimeframe": 60,
                                "currentTimeframeRequestCount": count}),
                    )
                }
                _ => AutotaskModel::error(404, "Not found"),
            }
        };
        *self.tally.statuses.entry(reply.status).or_default() += 1;
        reply
    }
}
