//! Requests as plain data: the host sends them with its own HTTP client.

use std::fmt;

/// An HTTP method the core asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies one request the core asked the host to send; the host hands it back with
/// the response.
pub type RequestId = u32;

/// The first value of header `name` in `headers` (case-insensitive, surrounding space
/// in the name ignored: hosts pass names as their HTTP client reports them).
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Header names whose values are credentials: redacted by `Debug`.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "secret", "apiintegrationcode"];

/// One HTTP request, ready to send. The host must send exactly this method, URL, headers
/// and body, then pass the outcome to `handle_response` or `handle_transport_error`.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// Hand this back with the response.
    pub id: RequestId,
    /// HTTP method.
    pub method: Method,
    /// Absolute URL, already percent-encoded.
    pub url: String,
    /// Headers in order, including the credentials.
    pub headers: Vec<(String, String)>,
    /// JSON body, for POST.
    pub body: Option<String>,
}

impl Request {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

/// Prints the request with credential headers redacted, so a request can be logged.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let lower = n.to_ascii_lowercase();
                if CREDENTIAL_HEADERS.contains(&lower.as_str()) {
                    (n.as_str(), "[redacted]")
                } else {
                    (n.as_str(), v.as_str())
                }
            })
            .collect();
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// What a job wants sent, before credentials are attached at send time (a VSA 9 session
/// token may change between building and sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestSpec {
    pub method: Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl RequestSpec {
    pub fn get(url: url::Url) -> Self {
        RequestSpec {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post_json(url: url::Url, body: String) -> Self {
        RequestSpec {
            method: Method::Post,
            url,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_credential_headers_whatever_their_case() {
        let r = Request {
            id: 1,
            method: Method::Get,
            url: "https://acme.vsax.net/api/v3/devices".into(),
            headers: vec![
                ("Authorization".into(), "Basic dG9rZW46c2VjcmV0".into()),
                ("SECRET".into(), "at-secret".into()),
                ("ApiIntegrationCode".into(), "CODE123".into()),
                ("Accept".into(), "application/json".into()),
            ],
            body: None,
        };
        let printed = format!("{r:?}");
        assert!(!printed.contains("dG9rZW46c2VjcmV0"));
        assert!(!printed.contains("at-secret"));
        assert!(!printed.contains("CODE123"));
        assert!(printed.contains("application/json"));
        assert_eq!(r.header("authorization"), Some("Basic dG9rZW46c2VjcmV0"));
    }
}
