//! Kaseya VSA 9 Data Warehouse API: OData v4 at /api/odata/1.0/,
//! `{"@odata.context":..,"value":[...],"@odata.nextLink":..}`.

use serde_json::Value;

use super::ParsedPage;
use crate::items::parse_list_object;
use crate::json::{as_u64_lenient, get_present, message_text};
use crate::Error;

/// Largest page asked for with `Prefer: odata.maxpagesize`; the server may send fewer.
pub(crate) const MAX_PAGE_SIZE: u32 = 1000;

const LIST_ENVELOPE: &str = "an OData collection ({\"value\":[...]}) from the VSA 9 Data Warehouse";

/// Parses a collection response body (HTTP 2xx).
pub(crate) fn parse_list(body: &[u8]) -> Result<ParsedPage, Error> {
    let (map, list) = parse_list_object(body, "value", LIST_ENVELOPE)?;
    if get_present(&map, "value").is_none() {
        if let Some(Value::Object(_)) = get_present(&map, "error") {
            return Err(Error::bad_response(format!(
                "Expected {LIST_ENVELOPE}, got an OData error under a success status"
            ))
            .with_vendor_message(super::vendor_message(body)));
        }
        return Err(Error::bad_response(format!(
            "Expected {LIST_ENVELOPE}, got an object without \"value\""
        )));
    }
    let total = get_present(&map, "@odata.count").and_then(as_u64_lenient);
    let next_link = get_present(&map, "@odata.nextLink").and_then(message_text);
    let items = list.into_items("value", LIST_ENVELOPE)?;
    Ok(ParsedPage {
        items,
        total,
        next_link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn collection_with_next_link_and_count() {
        let page = parse_list(
            br#"{"@odata.context":"https://vsa.example.com/api/odata/1.0/$metadata#Agents","@odata.count":3,"value":[{"AgentId":"1"},{"AgentId":"2"}],"@odata.nextLink":"https://vsa.example.com/api/odata/1.0/Agents?$skiptoken=2"}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.total, Some(3));
        assert!(page.next_link.unwrap().ends_with("$skiptoken=2"));
    }

    #[test]
    fn other_shapes_are_bad_response() {
        for body in [
            &br#"{"Data":[]}"#[..],
            br#"{"value":{}}"#,
            b"null",
            b"{\"value\":[",
        ] {
            assert_eq!(parse_list(body).unwrap_err().code(), ErrorCode::BadResponse);
        }
        let e = parse_list(br#"{"error":{"message":"boom"}}"#).unwrap_err();
        assert_eq!(e.vendor_message(), Some("boom"));
    }
}
