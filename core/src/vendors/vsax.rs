//! Kaseya VSA X (VSA 10), REST API v3: `{"Data":[...],"Meta":{"ResponseCode":200,
//! "TotalCount":N,"NextQueryLink":...}}`, `$top` at most 100, `$skip` paging.

use serde_json::{Map, Value};

use super::{vendor_message, ParsedPage};
use crate::classify::error_for_status;
use crate::items::parse_list_object;
use crate::json::{as_u64_lenient, get_present, message_text};
use crate::{Error, Vendor};

/// The server refuses more than this many items per page.
pub(crate) const MAX_PAGE_SIZE: u32 = 100;

const LIST_ENVELOPE: &str = "a Kaseya VSA X list envelope ({\"Data\":[...],\"Meta\":{...}})";

/// Parses a list response body (HTTP 2xx). An error status inside `Meta.ResponseCode`
/// becomes the matching error.
pub(crate) fn parse_list(body: &[u8], what: &str) -> Result<ParsedPage, Error> {
    let (map, list) = parse_list_object(body, "Data", LIST_ENVELOPE)?;
    let meta = match get_present(&map, "Meta") {
        Some(Value::Object(meta)) => meta.clone(),
        Some(_) => {
            return Err(Error::bad_response(format!(
                "Expected {LIST_ENVELOPE}, but \"Meta\" is not an object"
            )))
        }
        None if get_present(&map, "Data").is_some() => Map::new(),
        None => {
            return Err(Error::bad_response(format!(
                "Expected {LIST_ENVELOPE}, got an object without \"Data\" or \"Meta\""
            )))
        }
    };
    check_in_body_status(&meta, body, what)?;
    if matches!(get_present(&map, "Data"), Some(Value::Object(_))) {
        return Err(Error::bad_response(format!(
            "Expected {LIST_ENVELOPE}, got a single item: {what} is not a list endpoint"
        )));
    }
    let items = list.into_items("Data", LIST_ENVELOPE)?;
    Ok(ParsedPage {
        items,
        total: get_present(&meta, "TotalCount").and_then(as_u64_lenient),
        next_link: get_present(&meta, "NextQueryLink")
            .and_then(message_text)
            .filter(|l| !l.is_empty()),
    })
}

/// VSA X repeats the HTTP status in `Meta.ResponseCode`; a proxy or an older server may
/// put an error there under a 200.
fn check_in_body_status(meta: &Map<String, Value>, body: &[u8], what: &str) -> Result<(), Error> {
    match get_present(meta, "ResponseCode").and_then(as_u64_lenient) {
        Some(code) if (400..=599).contains(&code) => Err(error_for_status(
            Vendor::Vsax,
            code as u16,
            what,
            vendor_message(body),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn list_envelope_with_total_and_next_link() {
        let page = parse_list(
            br#"{"Data":[{"Id":123,"Name":"MyOrg2"}],"Meta":{"ResponseCode":200,"TotalCount":"2","NextQueryLink":"https://acme.vsax.net/api/v3/organizations?$skip=1"}}"#,
            "organizations",
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.total, Some(2));
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://acme.vsax.net/api/v3/organizations?$skip=1")
        );
    }

    #[test]
    fn in_body_error_under_200_is_an_error() {
        let e = parse_list(
            br#"{"Data":null,"Meta":{"ResponseCode":404,"ErrorMessage":"Entity is not found."}}"#,
            "devices",
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.vendor_message(), Some("Entity is not found."));
    }

    #[test]
    fn null_data_is_an_empty_page_and_wrong_shapes_are_bad_response() {
        let page = parse_list(br#"{"Data":null,"Meta":{"ResponseCode":200}}"#, "x").unwrap();
        assert!(page.items.is_empty());
        for body in [
            &br#"{"Data":{"Id":1},"Meta":{"ResponseCode":200}}"#[..],
            br#"{"value":[]}"#,
            br#"{"Data":[],"Meta":[]}"#,
            br#"{"Data":7,"Meta":{}}"#,
            b"[]",
        ] {
            let e = parse_list(body, "x").unwrap_err();
            assert_eq!(
                e.code(),
                ErrorCode::BadResponse,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(e.message().contains("VSA X list envelope"));
        }
    }
}
