//! Autotask PSA REST API v1.0: zone discovery, `POST {Entity}/query` with a JSON body,
//! `{"items":[...],"pageDetails":{"nextPageUrl":..}}`, `{"queryCount":N}`.

use serde_json::{json, Value};

use super::ParsedPage;
use crate::items::parse_list_object;
use crate::json::{as_u64_lenient, get_present, message_text, parse_object, type_name};
use crate::pacing::TenantUsage;
use crate::Error;

/// The server refuses more than this many records per query.
pub(crate) const MAX_PAGE_SIZE: u32 = 500;

const LIST_ENVELOPE: &str = "an Autotask query result ({\"items\":[...],\"pageDetails\":{...}})";
const COUNT_ENVELOPE: &str = "an Autotask count result ({\"queryCount\":N})";
const ZONE_ENVELOPE: &str = "Autotask zone information ({\"url\":...})";

/// The filter that matches every record: Autotask requires at least one filter item.
pub(crate) fn match_all_filter() -> Value {
    json!([{"op": "gte", "field": "id", "value": 0}])
}

/// Checks a caller's filter: a list of filter items (or one item), each an object with an
/// `op`. Returns it as a list.
pub(crate) fn validate_filter(filter: &Value) -> Result<Vec<Value>, Error> {
    let items = match filter {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![filter.clone()],
        other => {
            return Err(Error::config(
                format!("An Autotask filter must be a list of filter items, got a JSON {}", type_name(other)),
                "Pass filter items such as [{\"op\": \"eq\", \"field\": \"isActive\", \"value\": true}].",
            ))
        }
    };
    if items.is_empty() {
        return Err(Error::config(
            "The Autotask filter is an empty list",
            "Autotask needs at least one filter item; leave the filter out to list everything.",
        ));
    }
    for item in &items {
        let has_op = item
            .as_object()
            .and_then(|m| get_present(m, "op"))
            .is_some_and(Value::is_string);
        if !has_op {
            return Err(Error::config(
                "Every Autotask filter item must be an object with an \"op\"",
                "Use {\"op\": \"eq\", \"field\": \"name\", \"value\": \"...\"} or a group \
                 {\"op\": \"and\", \"items\": [...]}.",
            ));
        }
    }
    Ok(items)
}

/// The body of `POST {Entity}/query`. `after_id` adds the keyset condition `id gt N`
/// (gt, not gte, or the boundary record would repeat).
pub(crate) fn query_body(
    filter: &[Value],
    fields: Option<&[String]>,
    max_records: u32,
    after_id: Option<i64>,
) -> String {
    let mut filter = filter.to_vec();
    if let Some(id) = after_id {
        filter.push(json!({"op": "gt", "field": "id", "value": id}));
    }
    let mut body = json!({"filter": filter, "maxRecords": max_records});
    if let Some(fields) = fields {
        body["includeFields"] = json!(fields);
    }
    body.to_string()
}

/// `includeFields` with `id` added when missing: paging past 500 records and the resume
/// cursor both need every record's id.
pub(crate) fn fields_with_id(fields: &[String]) -> Vec<String> {
    let mut out = fields.to_vec();
    if !out.iter().any(|f| f.eq_ignore_ascii_case("id")) {
        out.insert(0, "id".to_string());
    }
    out
}

/// Parses a query response body (HTTP 2xx).
pub(crate) fn parse_list(body: &[u8]) -> Result<ParsedPage, Error> {
    let (map, list) = parse_list_object(body, "items", LIST_ENVELOPE)?;
    if get_present(&map, "items").is_none() && get_present(&map, "pageDetails").is_none() {
        return Err(Error::bad_response(format!(
            "Expected {LIST_ENVELOPE}, got an object without \"items\""
        ))
        .with_vendor_message(super::vendor_message(body)));
    }
    let next_link = match get_present(&map, "pageDetails") {
        Some(Value::Object(details)) => get_present(details, "nextPageUrl").and_then(message_text),
        Some(_) => {
            return Err(Error::bad_response(format!(
                "Expected {LIST_ENVELOPE}, but \"pageDetails\" is not an object"
            )))
        }
        None => None,
    };
    let items = list.into_items("items", LIST_ENVELOPE)?;
    Ok(ParsedPage {
        items,
        total: None,
        next_link,
    })
}

/// Parses `{"queryCount":N}`.
pub(crate) fn parse_count(body: &[u8]) -> Result<u64, Error> {
    let map = parse_object(body, COUNT_ENVELOPE)?;
    get_present(&map, "queryCount")
        .and_then(as_u64_lenient)
        .ok_or_else(|| {
            Error::bad_response(format!("Expected {COUNT_ENVELOPE}, got no \"queryCount\""))
        })
}

/// Parses `GET ThresholdInformation`: `{"externalRequestThreshold":10000,
/// "requestThresholdTimeframe":60,"currentTimeframeRequestCount":124}` (timeframe in
/// minutes).
pub(crate) fn parse_threshold(body: &[u8]) -> Result<TenantUsage, Error> {
    const ENVELOPE: &str = "Autotask threshold information";
    let map = parse_object(body, ENVELOPE)?;
    let field = |name: &str| {
        get_present(&map, name)
            .and_then(as_u64_lenient)
            .ok_or_else(|| Error::bad_response(format!("Expected {ENVELOPE}, got no \"{name}\"")))
    };
    let threshold = field("externalRequestThreshold")?;
    let minutes = field("requestThresholdTimeframe")?;
    let current = field("currentTimeframeRequestCount")?;
    if threshold == 0 || minutes == 0 || minutes > 24 * 60 {
        return Err(Error::bad_response(format!(
            "Expected {ENVELOPE} with a positive threshold and timeframe"
        )));
    }
    Ok(TenantUsage {
        threshold: u32::try_from(threshold).unwrap_or(u32::MAX),
        timeframe_ms: minutes * 60_000,
        current: u32::try_from(current).unwrap_or(u32::MAX),
    })
}

/// Parses zone information and returns the zone's `url` as sent (checked by the caller).
pub(crate) fn parse_zone(body: &[u8]) -> Result<String, Error> {
    let map = parse_object(body, ZONE_ENVELOPE)?;
    get_present(&map, "url")
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| Error::bad_response(format!("Expected {ZONE_ENVELOPE}, got no \"url\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn query_body_default_keyset_and_fields() {
        let body = query_body(
            &validate_filter(&match_all_filter()).unwrap(),
            None,
            500,
            None,
        );
        assert_eq!(
            body,
            r#"{"filter":[{"field":"id","op":"gte","value":0}],"maxRecords":500}"#
        );
        let fields = fields_with_id(&["companyName".to_string()]);
        let body: Value = serde_json::from_str(&query_body(
            &validate_filter(&json!({"op":"eq","field":"isActive","value":true})).unwrap(),
            Some(&fields),
            200,
            Some(725),
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({"filter":[{"op":"eq","field":"isActive","value":true},{"op":"gt","field":"id","value":725}],
                   "includeFields":["id","companyName"],"maxRecords":200})
        );
        assert_eq!(fields_with_id(&["ID".into()]), vec!["ID".to_string()]);
    }

    #[test]
    fn filters_are_checked() {
        for bad in [
            json!("id gte 0"),
            json!([]),
            json!([{"field": "x"}]),
            json!([1]),
        ] {
            assert_eq!(
                validate_filter(&bad).unwrap_err().code(),
                ErrorCode::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn page_count_zone_and_ids() {
        let page = parse_list(br#"{"items":[{"id":3},{"id":"9"}],"pageDetails":{"count":2,"requestCount":500,"prevPageUrl":null,"nextPageUrl":"https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging=x"}}"#).unwrap();
        assert_eq!(page.items.len(), 2);
        assert!(page.next_link.is_some());
        assert_eq!(crate::items::max_id(&page.items).unwrap(), Some(9));
        let page = parse_list(br#"{"items":[],"pageDetails":{"nextPageUrl":null}}"#).unwrap();
        assert!(page.next_link.is_none());
        assert_eq!(parse_count(br#"{"queryCount":42}"#).unwrap(), 42);
        assert_eq!(
            parse_count(br#"{"count":42}"#).unwrap_err().code(),
            ErrorCode::BadResponse
        );
        assert_eq!(
            parse_zone(br#"{"zoneName":"America West","url":"https://webservices15.autotask.net/ATServicesRest/","webUrl":"https://ww15.autotask.net/","ci":123}"#).unwrap(),
            "https://webservices15.autotask.net/ATServicesRest/"
        );
        assert_eq!(
            parse_zone(br#"{"url":""}"#).unwrap_err().code(),
            ErrorCode::BadResponse
        );
    }
}
