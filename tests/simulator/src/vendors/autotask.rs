//! Autotask PSA REST API under /ATServicesRest: zone discovery, header auth, JSON query
//! bodies (POST, or GET with `?search=`), counts, `nextPageUrl` paging that must be
//! followed with the query's own method, the tenant's hourly threshold (with its added
//! latency), and 3 concurrent requests per entity and integration code.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::error;
use crate::data::Record;
use crate::http::{encode_component, SimRequest, SimResponse};
use crate::limits::real;
use crate::query::autotask::{self as at_query, Query};
use crate::router::Api;
use crate::sim::{SharedState, Sim};

const MAX_RECORDS: i64 = 500;
/// Longer GET URLs fail on the real servers (VENDORS.md).
const MAX_GET_URL: usize = 2048;
const ENTITIES: &[&str] = &["Companies", "Contacts", "Tickets", "ConfigurationItems"];

pub async fn handle(sim: &Sim, req: &SimRequest) -> SimResponse {
    handle_delayed(sim, req, Duration::ZERO).await
}

/// `handle` for a request an injected `slow` fault holds up by `delay`: an admitted
/// request spends it holding its thread slot, as a slow server holds the thread.
pub async fn handle_delayed(sim: &Sim, req: &SimRequest, delay: Duration) -> SimResponse {
    let mut delay = Some(delay);
    let segments = req
        .segments_after(Api::Autotask.prefix())
        .unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let response = match segs.as_slice() {
        [version, zone] if zone.eq_ignore_ascii_case("zoneInformation") => {
            if version.eq_ignore_ascii_case("V1.0") {
                zone_information(sim, req)
            } else {
                not_found(req)
            }
        }
        [version, rest @ ..] if version.eq_ignore_ascii_case("V1.0") && !rest.is_empty() => {
            api(sim, req, rest, &mut delay).await
        }
        _ => not_found(req),
    };
    // Requests refused before they took a slot are slow all the same.
    if let Some(delay) = delay.filter(|d| !d.is_zero()) {
        tokio::time::sleep(delay).await;
    }
    response
}

fn not_found(req: &SimRequest) -> SimResponse {
    SimResponse::json(
        404,
        &json!({"Message": format!("No HTTP resource was found that matches the request URI '{}{}'.", req.origin, req.path)}),
    )
}

/// `GET zoneInformation?user=U`: the zone of the user's database (this simulator).
fn zone_information(sim: &Sim, req: &SimRequest) -> SimResponse {
    let creds = &sim.credentials.autotask;
    let user = req.param("user").unwrap_or("");
    let known = [&creds.username, &creds.limited.username]
        .iter()
        .any(|u| u.eq_ignore_ascii_case(user));
    if !known {
        return error(
            Api::Autotask,
            500,
            "Zone information could not be determined",
        );
    }
    SimResponse::json(
        200,
        &json!({
            "zoneName": "Simulator Zone (mspkit)",
            "url": format!("{}/ATServicesRest/", req.origin),
            "webUrl": format!("{}/Autotask/", req.origin),
            "ci": 1771,
        }),
    )
}

async fn api(
    sim: &Sim,
    req: &SimRequest,
    segs: &[&str],
    delay: &mut Option<Duration>,
) -> SimResponse {
    let creds = &sim.credentials.autotask;
    let (user, secret, code) = (
        req.header("UserName").unwrap_or(""),
        req.header("Secret").unwrap_or(""),
        req.header("ApiIntegrationCode").unwrap_or(""),
    );
    let denied: &[String] = if user.eq_ignore_ascii_case(&creds.username) && secret == creds.secret
    {
        &[]
    } else if user.eq_ignore_ascii_case(&creds.limited.username) && secret == creds.limited.secret {
        &creds.limited.denied
    } else {
        return SimResponse::empty(401);
    };
    if code != creds.integration_code {
        return error(Api::Autotask, 500, "IntegrationCode is invalid.");
    }
    let entity = entity_of(segs);
    let endpoint = entity.unwrap_or("ThresholdInformation");
    if let Some(entity) = entity {
        if denied.iter().any(|d| d.eq_ignore_ascii_case(entity)) {
            return error(
                Api::Autotask,
                500,
                &format!("The logged in Resource does not have the adequate permissions to query the {entity} entity."),
            );
        }
    }
    let (latency, _slot) = match admit(sim, code, endpoint) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let latency = latency + delay.take().unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    route(sim, req, segs, entity)
}

/// Counts the request against the tenant's hourly threshold and takes a thread slot.
fn admit(sim: &Sim, code: &str, endpoint: &str) -> Result<(Duration, SlotGuard), SimResponse> {
    let mut state = sim.lock();
    let now = Instant::now();
    if state.rates.admit("autotask.hourly", now).is_err() {
        let limit = state
            .rates
            .used("autotask.hourly", now)
            .map_or(0, |(_, l)| l);
        return Err(error(
            Api::Autotask,
            429,
            &format!("The API request threshold of {limit} requests per hour has been exceeded. The API is disabled for this database until usage drops."),
        ));
    }
    let key = format!("{}|{}", code, endpoint.to_ascii_lowercase());
    if let Some(limit) = state.config.limits.autotask_threads {
        let running = state.autotask_threads.get(&key).copied().unwrap_or(0);
        if running >= limit {
            return Err(error(
                Api::Autotask,
                429,
                &format!("The Autotask API thread threshold of {limit} threads has been exceeded for the {endpoint} endpoint."),
            ));
        }
    }
    *state.autotask_threads.entry(key.clone()).or_default() += 1;
    // Past 50% and 75% of the threshold the real API slows every call down.
    let latency = match (
        state.config.autotask_latency,
        state.rates.used("autotask.hourly", now),
    ) {
        (true, Some((used, limit))) if used * 4 >= limit * 3 => real(1.0, state.config.time_scale),
        (true, Some((used, limit))) if used * 2 >= limit => real(0.5, state.config.time_scale),
        _ => Duration::ZERO,
    };
    Ok((
        latency,
        SlotGuard {
            state: sim.state_handle(),
            key,
        },
    ))
}

/// Releases a thread slot when the request ends, even if the client hung up.
pub struct SlotGuard {
    state: Arc<SharedState>,
    key: String,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = state.autotask_threads.get_mut(&self.key) {
            *n = n.saturating_sub(1);
        }
    }
}

/// The canonical entity name of a path (`companies/query` → Companies).
fn entity_of(segs: &[&str]) -> Option<&'static str> {
    let first = segs.first()?;
    ENTITIES
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(first))
}

fn records<'a>(data: &'a crate::data::Dataset, entity: &str) -> &'a [Record] {
    let a = &data.autotask;
    match entity {
        "Companies" => &a.companies,
        "Contacts" => &a.contacts,
        "Tickets" => &a.tickets,
        _ => &a.configuration_items,
    }
}

fn route(sim: &Sim, req: &SimRequest, segs: &[&str], entity: Option<&'static str>) -> SimResponse {
    let method = req.method.as_str();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    if method == "GET" && req.url_len() > MAX_GET_URL {
        return not_found(req);
    }
    let data = sim.data();
    match (method, lower.as_slice(), entity) {
        ("GET", ["thresholdinformation"], _) => threshold(sim),
        ("GET" | "POST", [_, "query"], Some(entity)) => match query_of(req) {
            Ok(query) => query_page(sim, req, entity, records(&data, entity), &query, None),
            Err(problem) => error(Api::Autotask, 500, &problem),
        },
        ("GET" | "POST", [_, "query", "count"], Some(entity)) => match query_of(req) {
            Ok(query) => {
                let n = records(&data, entity)
                    .iter()
                    .filter(|r| query.matches(r))
                    .count();
                SimResponse::json(200, &json!({"queryCount": n}))
            }
            Err(problem) => error(Api::Autotask, 500, &problem),
        },
        ("GET" | "POST", [_, "query", "next"], Some(entity)) => {
            next_page(sim, req, entity, records(&data, entity))
        }
        ("GET", [_, "entityinformation"], Some(entity)) => SimResponse::json(
            200,
            &json!({"info": {"name": entity, "canCreate": false, "canDelete": false, "canQuery": true, "canUpdate": false, "hasUserDefinedFields": true, "supportsWebhookCallouts": false}}),
        ),
        ("GET", [_, id], Some(entity)) => match id.parse::<i64>() {
            Ok(id) => {
                let item = records(&data, entity)
                    .iter()
                    .find(|r| r.get("id").and_then(Value::as_i64) == Some(id));
                SimResponse::json(200, &json!({"item": item}))
            }
            Err(_) => not_found(req),
        },
        (_, [_, "query", ..], Some(_)) | (_, ["thresholdinformation"], _) => SimResponse::json(
            405,
            &json!({"Message": format!("The requested resource does not support http method '{method}'.")}),
        ),
        _ => not_found(req),
    }
}

fn threshold(sim: &Sim) -> SimResponse {
    let mut state = sim.lock();
    let (used, limit) = state
        .rates
        .used("autotask.hourly", Instant::now())
        .unwrap_or((0, 10_000));
    SimResponse::json(
        200,
        &json!({
            "externalRequestThreshold": limit,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": used,
        }),
    )
}

/// The query of a request: the POST body, or GET's `search` parameter.
fn query_of(req: &SimRequest) -> Result<Query, String> {
    let value = if req.method == "POST" {
        serde_json::from_slice::<Value>(&req.body)
            .map_err(|e| format!("The request body is not valid JSON: {e}"))?
    } else {
        let search = req
            .param("search")
            .ok_or("The search parameter is required for a GET query.")?;
        at_query::parse_search_param(search)?
    };
    at_query::parse_query(&value)
}

/// One page of `query`, from the record with id `from_id` on.
fn query_page(
    sim: &Sim,
    req: &SimRequest,
    entity: &str,
    records: &[Record],
    query: &Query,
    from_id: Option<i64>,
) -> SimResponse {
    let page_size = query
        .max_records
        .unwrap_or(MAX_RECORDS)
        .clamp(1, MAX_RECORDS) as usize;
    let id_of = |r: &Record| r.get("id").and_then(Value::as_i64).unwrap_or(i64::MIN);
    let matching: Vec<&Record> = records
        .iter()
        .filter(|r| from_id.is_none_or(|from| id_of(r) >= from) && query.matches(r))
        .collect();
    if let Some(fields) = &query.include_fields {
        if matching.len() > page_size && !fields.iter().any(|f| f.eq_ignore_ascii_case("id")) {
            return error(
                Api::Autotask,
                500,
                "When a query returns more records than maxRecords, id must be among includeFields.",
            );
        }
    }
    // Whole records are borrowed: copying a page cost more than all the rest of a query.
    let page: Vec<Cow<Record>> = matching
        .iter()
        .take(page_size)
        .map(|r| match &query.include_fields {
            Some(fields) => Cow::Owned(at_query::project(r, fields)),
            None => Cow::Borrowed(*r),
        })
        .collect();
    let next_url = matching.get(page_size).map(|next| {
        let previous = page
            .first()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64)
            .unwrap_or(-1);
        let paging =
            json!({"pageSize": page_size, "previousIds": [previous], "nextIds": [id_of(next)]})
                .to_string();
        let search = query_search_text(req);
        let mut state = sim.lock();
        if state.autotask_links.len() > 100_000 {
            state.autotask_links.clear();
        }
        state
            .autotask_links
            .insert(paging.clone(), req.method.clone());
        format!(
            "{}/ATServicesRest/V1.0/{entity}/query/next?paging={}&search={}",
            req.origin,
            encode_component(&paging),
            encode_component(&search)
        )
    });
    // The fields in the order `json!` sorted them in: the body is byte for byte the same.
    #[derive(serde::Serialize)]
    struct Page<'a> {
        items: &'a [Cow<'a, Record>],
        #[serde(rename = "pageDetails")]
        page_details: Value,
    }
    SimResponse::json(
        200,
        &Page {
            items: &page,
            page_details: json!({
                "count": page.len(),
                "requestCount": page_size,
                "prevPageUrl": null,
                "nextPageUrl": next_url,
            }),
        },
    )
}

/// The query as JSON text, for the `search` parameter of next links.
fn query_search_text(req: &SimRequest) -> String {
    if req.method == "POST" {
        String::from_utf8_lossy(&req.body).into_owned()
    } else {
        req.param("search").unwrap_or("{}").to_string()
    }
}

/// `{Entity}/query/next?paging=...`: the same query, from the link's next id, with the
/// method the query started with (a GET on a POST query's link is a 405).
fn next_page(sim: &Sim, req: &SimRequest, entity: &str, records: &[Record]) -> SimResponse {
    let Some(paging) = req.param("paging") else {
        return error(Api::Autotask, 500, "The paging parameter is required.");
    };
    let started_with = sim.lock().autotask_links.get(paging).cloned();
    if started_with.as_deref() == Some("POST") && req.method == "GET" {
        return SimResponse::json(
            405,
            &json!({"Message": "The requested resource does not support http method 'GET'."}),
        );
    }
    let from_id = serde_json::from_str::<Value>(paging)
        .ok()
        .and_then(|p| p.get("nextIds")?.get(0)?.as_i64());
    let Some(from_id) = from_id else {
        return error(Api::Autotask, 500, "The paging parameter is not valid.");
    };
    match query_of(req) {
        Ok(query) => query_page(sim, req, entity, records, &query, Some(from_id)),
        Err(problem) => error(Api::Autotask, 500, &problem),
    }
}
