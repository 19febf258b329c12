//! Reading response bodies leniently: servers in the wild send empty bodies, HTML error
//! pages from proxies, truncated JSON, numbers as strings, PascalCase or camelCase keys and
//! null where a list belongs. Every path returns a value or an error, never a panic.

use serde_json::{Map, Value};

use crate::error::truncate_chars;
use crate::Error;

/// What a body looked like, when it was not usable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyProblem {
    Empty,
    NotUtf8,
    Html { title: Option<String> },
    Truncated { bytes: usize },
    NotJson { detail: String },
}

impl BodyProblem {
    pub fn describe(&self) -> String {
        match self {
            BodyProblem::Empty => "an empty body".into(),
            BodyProblem::NotUtf8 => "a body that is not UTF-8 text".into(),
            BodyProblem::Html { title: Some(t) } => format!("an HTML page titled \"{t}\""),
            BodyProblem::Html { title: None } => "an HTML page".into(),
            BodyProblem::Truncated { bytes } => {
                format!("JSON that ends abruptly after {bytes} bytes (truncated)")
            }
            BodyProblem::NotJson { detail } => format!("text that is not JSON ({detail})"),
        }
    }

    /// Empty and truncated bodies on a success status usually mean the connection broke
    /// mid-response: the same request may well succeed again.
    pub fn is_transient(&self) -> bool {
        matches!(self, BodyProblem::Empty | BodyProblem::Truncated { .. })
    }
}

/// Parses `body` as JSON, or says what it was instead.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, BodyProblem> {
    let text = std::str::from_utf8(body).map_err(|_| BodyProblem::NotUtf8)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(BodyProblem::Empty);
    }
    if trimmed.starts_with('<') {
        return Err(BodyProblem::Html {
            title: html_title(trimmed),
        });
    }
    serde_json::from_str(trimmed).map_err(|e| {
        if e.is_eof() {
            BodyProblem::Truncated {
                bytes: trimmed.len(),
            }
        } else {
            // serde_json names the category and position ("number out of range at line 1
            // column 56"), never the input.
            BodyProblem::NotJson {
                detail: e.to_string(),
            }
        }
    })
}

/// The text of an HTML `<title>`, if there is one.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower.get(open..)?.find('>')? + 1;
    let end = start + lower.get(start..)?.find("</title")?;
    let title = html.get(start..end)?.split_whitespace().collect::<Vec<_>>();
    let title = title.join(" ");
    (!title.is_empty()).then(|| truncate_chars(&title, 120))
}

/// A short human-readable excerpt of a body that is not JSON, for `vendor_message`.
pub(crate) fn text_excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.starts_with('<') {
        return html_title(trimmed);
    }
    Some(truncate_chars(trimmed, 200))
}

/// The parsed body as a JSON object, or a bad_response naming what was expected.
pub(crate) fn parse_object(body: &[u8], expected: &str) -> Result<Map<String, Value>, Error> {
    match parse_json(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::bad_response(format!(
            "Expected {expected}, got a JSON {}",
            type_name(&other)
        ))),
        Err(problem) => Err(Error::bad_response(format!(
            "Expected {expected}, got {}",
            problem.describe()
        ))
        .with_vendor_message(text_excerpt(body))
        .retryable(problem.is_transient())),
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `map[key]`, falling back to a case-insensitive match (PascalCase vs camelCase).
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Like [`get_ci`] but treats JSON null as absent.
pub(crate) fn get_present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    get_ci(map, key).filter(|v| !v.is_null())
}

/// A non-negative integer from a number or a numeric string ("42", 42, 42.0).
pub(crate) fn as_u64_lenient(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A signed integer from a number or a numeric string.
pub(crate) fn as_i64_lenient(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A message-like value as text: a string, or the strings of an array joined.
pub(crate) fn message_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(message_text).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(map) => get_present(map, "message").and_then(message_text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_are_named() {
        assert_eq!(parse_json(b"").unwrap_err(), BodyProblem::Empty);
        assert_eq!(parse_json(b" \n ").unwrap_err(), BodyProblem::Empty);
        assert_eq!(parse_json(&[0xff, 0xfe]).unwrap_err(), BodyProblem::NotUtf8);
        assert_eq!(
            parse_json(b"<html><head><title>502 Bad\n Gateway</title></head></html>").unwrap_err(),
            BodyProblem::Html {
                title: Some("502 Bad Gateway".into())
            }
        );
        assert_eq!(
            parse_json(b"{\"Data\":[{\"Id\":1},").unwrap_err(),
            BodyProblem::Truncated { bytes: 18 }
        );
        assert!(matches!(
            parse_json(b"Service Unavailable").unwrap_err(),
            BodyProblem::NotJson { .. }
        ));
        assert_eq!(parse_json(b"\xef\xbb\xbf{}").unwrap(), json!({}));
    }

    #[test]
    fn parse_object_explains_what_was_expected() {
        let e = parse_object(b"[1,2]", "a VSA X list envelope").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::BadResponse);
        assert_eq!(
            e.message(),
            "Expected a VSA X list envelope, got a JSON array"
        );
        let e = parse_object(b"{\"a\":", "x").unwrap_err();
        assert!(e.is_retryable());
        let e = parse_object(b"<html><title>Oops</title></html>", "x").unwrap_err();
        assert_eq!(e.vendor_message(), Some("Oops"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(as_u64_lenient(&json!(42)), Some(42));
        assert_eq!(as_u64_lenient(&json!("42")), Some(42));
        assert_eq!(as_u64_lenient(&json!(42.0)), Some(42));
        assert_eq!(as_u64_lenient(&json!(-1)), None);
        assert_eq!(as_u64_lenient(&json!(4.5)), None);
        assert_eq!(as_u64_lenient(&json!(null)), None);
        assert_eq!(as_i64_lenient(&json!("-7")), Some(-7));
    }

    #[test]
    fn keys_match_case_insensitively() {
        let m = json!({"data": null, "Meta": {"TotalCount": 1}})
            .as_object()
            .cloned()
            .unwrap();
        assert!(get_ci(&m, "meta").is_some());
        assert!(get_ci(&m, "Data").is_some());
        assert!(get_present(&m, "Data").is_none(), "null is absent");
    }

    #[test]
    fn messages_from_strings_arrays_and_objects() {
        assert_eq!(message_text(&json!(["a", "b"])), Some("a; b".to_string()));
        assert_eq!(
            message_text(&json!({"Message": "m", "Details": "d"})),
            Some("m".to_string())
        );
        assert_eq!(message_text(&json!("  ")), None);
    }
}
