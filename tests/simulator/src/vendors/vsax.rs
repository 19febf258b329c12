//! Kaseya VSA X REST API v3 under /api/v3: Basic token auth, `{"Data","Meta"}` envelopes,
//! `$top` capped at 100, `$skip`, NextQueryLink above 5,000 results, the documented rate
//! limits per endpoint class, and the per-IP failed-request blocks.

use std::time::Instant;

use serde_json::{json, Value};

use super::{carried_params, count_param, error, find_by, odata_select, rate_limited};
use crate::data::Record;
use crate::faults::RetryAfterForm;
use crate::http::{SimRequest, SimResponse};
use crate::router::Api;
use crate::sim::Sim;
use crate::timefmt::iso_from_unix;

const MAX_TOP: usize = 100;
/// Above this many results the server adds NextQueryLink and $skip no longer reaches.
const LINK_THRESHOLD: usize = 5000;

pub fn handle(sim: &Sim, req: &SimRequest) -> SimResponse {
    let segments = req.segments_after(Api::Vsax.prefix()).unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let now = Instant::now();
    {
        let mut state = sim.lock();
        if let Some(wait) = state.failed.blocked(req.peer, now) {
            let mut response = rate_limited(
                Api::Vsax,
                wait,
                RetryAfterForm::Seconds,
                "Too many failed requests: this IP address is blocked for a while.",
            );
            response.blocked = true;
            return response;
        }
        if let Err(wait) = state.rates.admit(limit_name(&req.method, &segs), now) {
            return rate_limited(
                Api::Vsax,
                wait,
                RetryAfterForm::Seconds,
                "API rate limit exceeded. Wait a minute and retry.",
            );
        }
    }
    let response = authorized(sim, req, &segs);
    // Failed requests count against the client IP (a 429 is the limiter, not a failure).
    if (400..500).contains(&response.status) && response.status != 429 {
        sim.lock().failed.record_failure(req.peer, Instant::now());
    }
    response
}

/// The rate limit an endpoint falls under (VENDORS.md "Rate limits").
fn limit_name(method: &str, segs: &[&str]) -> &'static str {
    match (method, segs) {
        ("POST", ["notifications"]) => "vsax.notify",
        ("GET", ["assets", ..]) | ("GET", ["devices", _, "assets", ..]) => "vsax.assets",
        ("GET", ["groups", _, "package", ..]) => "vsax.group_package",
        _ => "vsax.default",
    }
}

fn authorized(sim: &Sim, req: &SimRequest, segs: &[&str]) -> SimResponse {
    let creds = &sim.credentials.vsax;
    let denied: &[String] = match req.basic_auth() {
        Some((id, secret)) if id == creds.token_id && secret == creds.token_secret => &[],
        Some((id, secret))
            if id == creds.limited.token_id && secret == creds.limited.token_secret =>
        {
            &creds.limited.denied
        }
        _ => {
            return error(
                Api::Vsax,
                401,
                "Authorization has been denied for this request.",
            )
        }
    };
    if segs
        .first()
        .is_some_and(|first| denied.iter().any(|d| d.eq_ignore_ascii_case(first)))
    {
        return error(Api::Vsax, 403, "Request Failed");
    }
    route(sim, req, segs)
}

fn route(sim: &Sim, req: &SimRequest, segs: &[&str]) -> SimResponse {
    let data = sim.data();
    let v = &data.vsax;
    match (req.method.as_str(), segs) {
        ("GET", ["organizations"]) => list(req, &v.organizations),
        ("GET", ["organizations", id]) => item(find_by(&v.organizations, "Id", id)),
        ("GET", ["organizations", id, "customfields"]) => match find_by(&v.organizations, "Id", id)
        {
            Some(_) => list(req, &[]),
            None => not_found(),
        },
        ("GET", ["sites"]) => list(req, &v.sites),
        ("GET", ["sites", id]) => item(find_by(&v.sites, "Id", id)),
        ("GET", ["groups"]) => list(req, &v.groups),
        ("GET", ["groups", id]) => item(find_by(&v.groups, "Id", id)),
        ("GET", ["groups", id, "package", kind]) => match find_by(&v.groups, "Id", id) {
            Some(_) => SimResponse::json(
                200,
                &json!({"Data": {"PackageType": kind, "GroupId": id, "DownloadUrl": format!("{}/downloads/agent-{id}-{kind}.msi", req.origin)}, "Meta": {"ResponseCode": 200}}),
            ),
            None => not_found(),
        },
        ("GET", ["devices"]) => list(req, &v.devices),
        ("GET", ["devices", id]) => match v
            .devices
            .iter()
            .position(|d| matches_id(d, "Identifier", id))
        {
            Some(index) => item(Some(&device_detail(&v.devices[index], index))),
            None => not_found(),
        },
        ("GET", ["devices", id, "notifications"]) => {
            match v
                .devices
                .iter()
                .position(|d| matches_id(d, "Identifier", id))
            {
                Some(index) => {
                    let own: Vec<Record> = v
                        .notifications
                        .iter()
                        .zip(&v.notification_device)
                        .filter(|(_, device)| **device == index)
                        .map(|(n, _)| with_iso_datetime(n))
                        .collect();
                    list(req, &own)
                }
                None => not_found(),
            }
        }
        ("GET", ["devices", id, "customfields" | "appliedpolicies"]) => {
            match v.devices.iter().any(|d| matches_id(d, "Identifier", id)) {
                true => list(req, &[]),
                false => not_found(),
            }
        }
        ("GET", ["assets"]) => list(req, &v.assets),
        ("GET", ["assets", id]) => item(find_by(&v.assets, "Identifier", id)),
        ("GET", ["notifications"]) => list(req, &v.notifications),
        ("GET", ["notifications", id]) => item(find_by(&v.notifications, "Id", id)),
        ("POST", ["notifications"]) => notify(req),
        ("GET", ["environment"]) => SimResponse::json(
            200,
            &json!({"Data": {"Version": "10.12.0", "Product": "VSA X (mspkit simulator)"}, "Meta": {"ResponseCode": 200}}),
        ),
        _ => not_found(),
    }
}

fn matches_id(record: &Record, field: &str, id: &str) -> bool {
    record
        .get(field)
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case(id))
}

fn not_found() -> SimResponse {
    error(Api::Vsax, 404, "Entity is not found.")
}

fn item(record: Option<&Record>) -> SimResponse {
    match record {
        Some(record) => {
            SimResponse::json(200, &json!({"Data": record, "Meta": {"ResponseCode": 200}}))
        }
        None => not_found(),
    }
}

fn list(req: &SimRequest, records: &[Record]) -> SimResponse {
    let bad = |problem: String| error(Api::Vsax, 400, &problem);
    let selected = match odata_select(records, req, &[]) {
        Ok(selected) => selected,
        Err(problem) => return bad(problem),
    };
    let top = match count_param(req, "$top", MAX_TOP) {
        Ok(0) => return bad("$top must be at least 1.".into()),
        Ok(top) => top.min(MAX_TOP),
        Err(problem) => return bad(problem),
    };
    let token = match req.param("$skiptoken").map(|t| t.trim().parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return bad("The continuation token of NextQueryLink is not valid.".into()),
    };
    let skip = match token {
        Some(n) => n,
        None => match count_param(req, "$skip", 0) {
            Ok(skip) => skip,
            Err(problem) => return bad(problem),
        },
    };
    let total = selected.len();
    if total > LINK_THRESHOLD && token.is_none() && skip >= LINK_THRESHOLD {
        return bad(format!(
            "$skip cannot go past {LINK_THRESHOLD} results; follow Meta.NextQueryLink."
        ));
    }
    let page: Vec<&Record> = selected.iter().skip(skip).take(top).copied().collect();
    let mut meta = json!({"ResponseCode": 200, "TotalCount": total});
    let next = skip + page.len();
    if total > LINK_THRESHOLD && next < total && !page.is_empty() {
        let carried = carried_params(req, &["$filter", "$orderby"]);
        let sep = if carried.is_empty() { "" } else { "&" };
        meta["NextQueryLink"] = json!(format!(
            "{}{}?$top={top}&$skiptoken={next}{sep}{carried}",
            req.origin, req.path
        ));
    }
    SimResponse::json(200, &json!({"Data": page, "Meta": meta}))
}

/// Device notifications carry an ISO `DateTime`, GET /notifications a Unix integer.
fn with_iso_datetime(notification: &Record) -> Record {
    let mut out = notification.clone();
    if let Some(secs) = out.get("DateTime").and_then(Value::as_i64) {
        out.insert("DateTime".into(), json!(iso_from_unix(secs)));
    }
    out
}

/// GET devices/{id} adds the detail fields the list form leaves out.
fn device_detail(device: &Record, index: usize) -> Record {
    let mut out = device.clone();
    let n = index as u64;
    out.insert("Description".into(), json!(""));
    out.insert(
        "Uptime".into(),
        json!(format!("{} days, {} hours", n % 40, n % 24)),
    );
    out.insert("IsOnline".into(), json!(n % 5 != 0));
    out.insert(
        "ComputerType".into(),
        json!(if n % 7 == 0 { "server" } else { "windows" }),
    );
    out.insert("InMaintenance".into(), json!(n % 31 == 0));
    out.insert(
        "ExternalIpAddress".into(),
        json!(format!("203.0.113.{}", n % 250 + 1)),
    );
    out.insert("CriticalNotifications".into(), json!(n % 3));
    out.insert("ElevatedNotifications".into(), json!(n % 4));
    out.insert("NormalNotifications".into(), json!(n % 6));
    out.insert("LowNotifications".into(), json!(n % 2));
    out.insert(
        "LocalIpAddresses".into(),
        json!([format!(
            "10.{}.{}.{}",
            n / 65_536 % 256,
            n / 256 % 256,
            n % 256
        )]),
    );
    out.insert("ClientVersion".into(), json!("10.12.0.1234"));
    out
}

/// POST notifications ("Notify"): checks the body, stores nothing (lists stay exact).
fn notify(req: &SimRequest) -> SimResponse {
    let body: Option<Value> = serde_json::from_slice(&req.body).ok();
    let has = |key: &str| {
        body.as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty())
    };
    if !(has("InstanceId") && has("Title")) {
        return error(
            Api::Vsax,
            400,
            "The request body needs InstanceId and Title (and optionally Message, Priority).",
        );
    }
    SimResponse::json(200, &json!({"Meta": {"ResponseCode": 200}}))
}
