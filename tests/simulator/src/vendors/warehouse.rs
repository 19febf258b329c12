//! Kaseya VSA 9 Data Warehouse API under /api/odata/1.0: Basic with the Data Warehouse
//! token, OData v4 `{"@odata.context","value"}` pages with server-driven paging through
//! `@odata.nextLink` (`Prefer: odata.maxpagesize` lowers the page size).

use std::time::Instant;

use serde_json::json;

use super::{carried_params, count_param, error, odata_select, rate_limited};
use crate::data::Record;
use crate::faults::RetryAfterForm;
use crate::http::{SimRequest, SimResponse};
use crate::query::odata;
use crate::router::Api;
use crate::sim::Sim;

pub fn handle(sim: &Sim, req: &SimRequest) -> SimResponse {
    let segments = req
        .segments_after(Api::Warehouse.prefix())
        .unwrap_or_default();
    if let Err(wait) = sim.lock().rates.admit("warehouse.default", Instant::now()) {
        return rate_limited(
            Api::Warehouse,
            wait,
            RetryAfterForm::Seconds,
            "Too many requests",
        );
    }
    let creds = &sim.credentials.vsa9;
    match req.basic_auth() {
        Some((user, token))
            if user.eq_ignore_ascii_case(&creds.username)
                && (token == creds.warehouse_token || token == creds.token) => {}
        Some((user, token))
            if user.eq_ignore_ascii_case(&creds.limited.username)
                && token == creds.limited.token =>
        {
            return error(
                Api::Warehouse,
                403,
                "The access token does not have the Data Warehouse API scope.",
            )
        }
        _ => {
            return error(
                Api::Warehouse,
                401,
                "Authorization has been denied for this request.",
            )
        }
    }
    let data = sim.data();
    let set = match segments.as_slice() {
        [name] if name.eq_ignore_ascii_case("Agents") => ("Agents", &data.vsa9.warehouse_agents),
        [name] if name.eq_ignore_ascii_case("MachineGroups") => {
            ("MachineGroups", &data.vsa9.warehouse_machine_groups)
        }
        _ => {
            return error(
                Api::Warehouse,
                404,
                "The requested resource is not an entity set of this service.",
            )
        }
    };
    if req.method != "GET" {
        return error(Api::Warehouse, 405, "The entity sets are read-only.");
    }
    let server_page_size = sim.lock().config.warehouse_page_size;
    let page_size = preferred_page_size(req).map_or(server_page_size, |n| n.min(server_page_size));
    page(req, set.0, set.1, page_size)
}

/// `Prefer: odata.maxpagesize=N`.
fn preferred_page_size(req: &SimRequest) -> Option<usize> {
    req.header("prefer")?
        .split(',')
        .find_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
}

fn page(req: &SimRequest, name: &str, records: &[Record], page_size: usize) -> SimResponse {
    let bad = |problem: String| error(Api::Warehouse, 400, &problem);
    let selected = match odata_select(records, req, &[]) {
        Ok(selected) => selected,
        Err(problem) => return bad(problem),
    };
    let select = match req.param("$select").filter(|s| !s.trim().is_empty()) {
        Some(text) => match odata::parse_select(text) {
            Ok(fields) => Some(fields),
            Err(problem) => return bad(problem),
        },
        None => None,
    };
    let (skip, top, offset) = match (
        count_param(req, "$skip", 0),
        req.param("$top")
            .map(|_| count_param(req, "$top", 0))
            .transpose(),
        count_param(req, "$skiptoken", 0),
    ) {
        (Ok(skip), Ok(top), Ok(offset)) => (skip, top, offset),
        (Err(p), _, _) | (_, Err(p), _) | (_, _, Err(p)) => return bad(p),
    };
    // $skip/$top shape the whole result; $skiptoken is our position within it.
    let end = top.map_or(selected.len(), |t| {
        skip.saturating_add(t).min(selected.len())
    });
    let start = skip.saturating_add(offset).min(end);
    let stop = start.saturating_add(page_size).min(end);
    let value: Vec<Record> = selected[start..stop]
        .iter()
        .map(|r| match &select {
            Some(fields) => odata::project(r, fields),
            None => (*r).clone(),
        })
        .collect();
    let mut body = json!({
        "@odata.context": format!("{}/api/odata/1.0/$metadata#{name}", req.origin),
    });
    if req
        .param("$count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        body["@odata.count"] = json!(end.saturating_sub(skip.min(end)));
    }
    body["value"] = json!(value);
    if stop < end {
        let carried = carried_params(
            req,
            &["$filter", "$orderby", "$select", "$skip", "$top", "$count"],
        );
        let sep = if carried.is_empty() { "" } else { "&" };
        body["@odata.nextLink"] = json!(format!(
            "{}{}?{carried}{sep}$skiptoken={}",
            req.origin,
            req.path,
            stop - skip
        ));
    }
    let response = SimResponse::json(200, &body);
    match preferred_page_size(req) {
        Some(_) => response.with_header(
            "Preference-Applied",
            format!("odata.maxpagesize={page_size}"),
        ),
        None => response,
    }
}
