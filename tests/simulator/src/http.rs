//! The simulator's own request and response types: what a handler sees and returns,
//! independent of the HTTP server crate.

use std::net::IpAddr;

use base64::Engine;
use percent_encoding::percent_decode_str;

#[derive(Debug, Clone)]
pub struct SimRequest {
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub raw_query: Option<String>,
    /// Query parameters, percent-decoded (`+` as space).
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `scheme://host[:port]` as the client addressed us (from Host), for links we return.
    pub origin: String,
    pub peer: IpAddr,
}

impl SimRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter by name; OData `$` names are matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Decoded `user:password` of a Basic Authorization header.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let value = self.header("authorization")?.trim();
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (user, pass) = text.split_once(':')?;
        Some((user.to_string(), pass.to_string()))
    }

    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    }

    /// Path segments after `prefix` (compared case-insensitively), percent-decoded.
    pub fn segments_after(&self, prefix: &str) -> Option<Vec<String>> {
        let path = self.path.as_str();
        if path.len() < prefix.len() || !path[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return None;
        }
        let rest = &path[prefix.len()..];
        if !(rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/')) {
            return None;
        }
        Some(
            rest.split('/')
                .filter(|s| !s.is_empty())
                .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect(),
        )
    }

    /// The URL as the client sent it, for length checks.
    pub fn url_len(&self) -> usize {
        self.origin.len() + self.path.len() + self.raw_query.as_ref().map_or(0, |q| q.len() + 1)
    }
}

/// Splits and decodes a query string.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Percent-encodes a query component (everything but unreserved characters).
pub fn encode_component(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'$');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

/// How the response reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Normal,
    /// Close the connection after half the body, despite the Content-Length.
    CutConnection,
    /// Reset the connection without a response.
    Reset,
}

#[derive(Debug, Clone)]
pub struct SimResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delivery: Delivery,
    /// Refused because the client IP is blocked (for the counters).
    pub blocked: bool,
}

impl SimResponse {
    /// Any serialisable value: list pages pass borrowed records, serialised as they
    /// are rather than copied into a `serde_json::Value` first.
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Self {
        SimResponse {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: serde_json::to_vec(value).unwrap_or_default(),
            delivery: Delivery::Normal,
            blocked: false,
        }
    }

    pub fn html(status: u16, title: &str) -> Self {
        let page = format!(
            "<!DOCTYPE html>\n<html><head><title>{status} {title}</title></head>\
             <body><center><h1>{status} {title}</h1></center><hr><center>nginx</center>\
             </body></html>\n"
        );
        SimResponse {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: page.into_bytes(),
            delivery: Delivery::Normal,
            blocked: false,
        }
    }

    pub fn text(status: u16, text: &str) -> Self {
        SimResponse {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
            delivery: Delivery::Normal,
            blocked: false,
        }
    }

    pub fn empty(status: u16) -> Self {
        SimResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delivery: Delivery::Normal,
            blocked: false,
        }
    }

    pub fn reset() -> Self {
        SimResponse {
            delivery: Delivery::Reset,
            ..SimResponse::empty(500)
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// The standard reason phrase for status pages.
pub fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_keeps_odata_and_json() {
        let q = parse_query("$top=10&$filter=Name%20eq%20'a+b'&search=%7B%22x%22%3A1%7D&flag");
        assert_eq!(q[0], ("$top".into(), "10".into()));
        assert_eq!(q[1].1, "Name eq 'a b'");
        assert_eq!(q[2].1, r#"{"x":1}"#);
        assert_eq!(q[3], ("flag".into(), String::new()));
        assert_eq!(encode_component(r#"{"a":[1]}"#), "%7B%22a%22%3A%5B1%5D%7D");
    }
}
