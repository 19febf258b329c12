//! One module per vendor API: request shapes, auth material, envelopes and paging rules.
//! Everything here is a pure function of its inputs; the client decides when to call it.

pub(crate) mod autotask;
pub(crate) mod vsa9;
pub(crate) mod vsax;
pub(crate) mod warehouse;

use serde_json::Value;

use crate::json::{get_present, message_text, parse_json, text_excerpt};

/// One page of a list response, vendor-neutral.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedPage {
    pub items: crate::Items,
    /// The vendor's total count of the whole result set, when it sends one.
    pub total: Option<u64>,
    /// A next-page link exactly as the server sent it (checked by the caller).
    pub next_link: Option<String>,
}

/// What the server said in an error body, whatever envelope it used: VSA X
/// `Meta.ErrorMessage` or `Error.Message`, VSA 9 `Error`, Autotask `errors[]` or
/// `Message`, OData `error.message`; for non-JSON bodies an HTML title or a text excerpt.
pub(crate) fn vendor_message(body: &[u8]) -> Option<String> {
    let Ok(Value::Object(map)) = parse_json(body) else {
        return text_excerpt(body);
    };
    if let Some(Value::Object(meta)) = get_present(&map, "Meta") {
        if let Some(m) = get_present(meta, "ErrorMessage").and_then(message_text) {
            return Some(m);
        }
    }
    for key in ["errors", "Error", "Message", "error_description", "title"] {
        if let Some(m) = get_present(&map, key).and_then(message_text) {
            // VSA 9 sends "Error":"None" on success envelopes.
            if !m.eq_ignore_ascii_case("none") {
                return Some(m);
            }
        }
    }
    None
}

/// The `Authorization` value for HTTP Basic. The constructors refuse a `:` in `user`
/// (the server would split the pair at the wrong place) and control characters.
pub(crate) fn basic_credentials(user: &str, secret: &str) -> String {
    basic(&format!("{user}:{secret}"))
}

/// `Basic base64(payload)`, also for VSA 9's legacy logon whose payload is not a pair.
pub(crate) fn basic(payload: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(payload.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_messages_from_every_envelope() {
        let cases: [(&[u8], Option<&str>); 9] = [
            (
                br#"{"Data":null,"Meta":{"ResponseCode":404,"ErrorMessage":"Entity is not found."}}"#,
                Some("Entity is not found."),
            ),
            (
                br#"{"Error":{"Message":"Bad token","Details":"x"}}"#,
                Some("Bad token"),
            ),
            (
                br#"{"Result":null,"ResponseCode":401,"Status":"Error","Error":"Session expired"}"#,
                Some("Session expired"),
            ),
            (br#"{"Result":[],"ResponseCode":0,"Status":"OK","Error":"None"}"#, None),
            (
                br#"{"errors":["Zone information could not be determined"]}"#,
                Some("Zone information could not be determined"),
            ),
            (
                br#"{"Message":"The requested resource does not support http method 'GET'."}"#,
                Some("The requested resource does not support http method 'GET'."),
            ),
            (
                br#"{"error":{"code":"","message":"The query specified in the URI is not valid."}}"#,
                Some("The query specified in the URI is not valid."),
            ),
            (b"<html><title>503 Service Unavailable</title></html>", Some("503 Service Unavailable")),
            (b"", None),
        ];
        for (body, expected) in cases {
            assert_eq!(
                vendor_message(body).as_deref(),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn basic_is_base64_of_user_colon_secret() {
        assert_eq!(basic_credentials("id", "secret"), "Basic aWQ6c2VjcmV0");
    }
}
