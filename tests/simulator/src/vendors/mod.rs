//! One module per simulated API; here what they share: error envelopes, 429s, the
//! next-link fault, and the OData list query ($filter, $orderby, $top, $skip).

pub mod autotask;
pub mod vsa9;
pub mod vsax;
pub mod warehouse;

use std::time::Duration;

use serde_json::{json, Value};

use crate::data::Record;
use crate::faults::RetryAfterForm;
use crate::http::{SimRequest, SimResponse};
use crate::query::odata;
use crate::router::{retry_after, Api};
use crate::sim::Sim;

pub async fn handle(sim: &Sim, api: Api, req: &SimRequest) -> SimResponse {
    match api {
        Api::Vsax => vsax::handle(sim, req),
        Api::Vsa9 => vsa9::handle(sim, req),
        Api::Warehouse => warehouse::handle(sim, req),
        Api::Autotask => autotask::handle(sim, req).await,
    }
}

/// The API's own error envelope (VENDORS.md "Errors").
pub fn error(api: Api, status: u16, message: &str) -> SimResponse {
    let body = match api {
        Api::Vsax => {
            json!({"Data": null, "Meta": {"ResponseCode": status, "ErrorMessage": message}})
        }
        Api::Vsa9 => json!({
            "Result": null,
            "ResponseCode": status,
            "Status": crate::http::reason(status),
            "Error": message,
        }),
        Api::Warehouse => json!({"error": {"code": "", "message": message}}),
        Api::Autotask => json!({"errors": [message]}),
    };
    SimResponse::json(status, &body)
}

/// 429 with Retry-After for a wait of `wait` (real time).
pub fn rate_limited(api: Api, wait: Duration, form: RetryAfterForm, message: &str) -> SimResponse {
    let response = error(api, 429, message);
    match retry_after(wait, form) {
        Some(value) => response.with_header("Retry-After", value),
        None => response,
    }
}

/// The next-link fault: the page's next link (added if the page had none) now points at
/// `origin`, with the path and query a real link would have.
pub fn move_next_link(
    api: Api,
    req: &SimRequest,
    response: SimResponse,
    origin: &str,
) -> SimResponse {
    let Ok(mut body) = serde_json::from_slice::<Value>(&response.body) else {
        return response;
    };
    let here = format!(
        "{origin}{}{}",
        req.path,
        req.raw_query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    let relocate = |link: Option<&Value>| -> Value {
        match link.and_then(Value::as_str) {
            Some(link) => match link
                .find("://")
                .and_then(|i| link[i + 3..].find('/').map(|j| i + 3 + j))
            {
                Some(path_start) => json!(format!("{origin}{}", &link[path_start..])),
                None => json!(here),
            },
            None => json!(here),
        }
    };
    match api {
        Api::Vsax => {
            if let Some(meta) = body.get_mut("Meta").and_then(Value::as_object_mut) {
                let link = relocate(meta.get("NextQueryLink"));
                meta.insert("NextQueryLink".into(), link);
            }
        }
        Api::Warehouse => {
            if let Some(map) = body.as_object_mut() {
                let link = relocate(map.get("@odata.nextLink"));
                map.insert("@odata.nextLink".into(), link);
            }
        }
        Api::Autotask => {
            if let Some(details) = body.get_mut("pageDetails").and_then(Value::as_object_mut) {
                let link = relocate(details.get("nextPageUrl"));
                details.insert("nextPageUrl".into(), link);
            }
        }
        // VSA 9 pages by $skip alone: it has no link to move.
        Api::Vsa9 => return response,
    }
    SimResponse {
        body: serde_json::to_vec(&body).unwrap_or_default(),
        ..response
    }
}

/// `$filter` and `$orderby` applied to `records` (VSA X, VSA 9, Data Warehouse).
pub fn odata_select<'a>(
    records: &'a [Record],
    req: &SimRequest,
    int32_fields: &[&str],
) -> Result<Vec<&'a Record>, String> {
    let filter = req
        .param("$filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| odata::parse_filter(f, int32_fields))
        .transpose()?;
    let mut selected: Vec<&Record> = records
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    if let Some(order) = req.param("$orderby").filter(|o| !o.trim().is_empty()) {
        let keys = odata::parse_order_by(order)?;
        odata::sort(&mut selected, &keys);
    }
    Ok(selected)
}

/// A non-negative integer query parameter (`$top`, `$skip`), or `default` when absent.
pub fn count_param(req: &SimRequest, name: &str, default: usize) -> Result<usize, String> {
    match req.param(name) {
        None => Ok(default),
        Some(text) => text.trim().parse::<usize>().map_err(|_| {
            format!("The query specified in the URI is not valid. '{text}' is not a valid value for {name}.")
        }),
    }
}

/// The query string a follow-up link keeps: the list's own OData options, in order.
pub fn carried_params(req: &SimRequest, keep: &[&str]) -> String {
    req.query
        .iter()
        .filter(|(name, _)| keep.iter().any(|k| k.eq_ignore_ascii_case(name)))
        .map(|(name, value)| format!("{name}={}", crate::http::encode_component(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The record whose `field` equals the path segment `id` (number or string).
pub fn find_by<'a>(records: &'a [Record], field: &str, id: &str) -> Option<&'a Record> {
    records.iter().find(|r| match r.get(field) {
        Some(Value::Number(n)) => n.to_string() == id,
        Some(Value::String(s)) => s.eq_ignore_ascii_case(id),
        _ => false,
    })
}
