//! Core errors as data for JS: the plain fields of `MspkitError`. The JS wrapper turns
//! every thrown or delivered one into an `MspkitError` instance (see pkg-src/errors.js).

use std::borrow::Cow;

use mspkit_core::Error;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// The fields of an `MspkitError`, in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData<'a> {
    /// Marks the object for the JS wrapper (a trap or a JS exception has no such field).
    mspkit: bool,
    code: &'static str,
    status: Option<u16>,
    message: Cow<'a, str>,
    remediation: Cow<'a, str>,
    vendor_message: Option<&'a str>,
    retryable: bool,
}

impl<'a> From<&'a Error> for ErrorData<'a> {
    fn from(e: &'a Error) -> Self {
        ErrorData {
            mspkit: true,
            code: e.code().as_str(),
            status: e.status(),
            message: camel_case_options(e.message()),
            remediation: camel_case_options(e.remediation()),
            vendor_message: e.vendor_message(),
            retryable: e.is_retryable(),
        }
    }
}

/// The core's option names (its Rust and Python spelling) that its messages mention, and
/// their JS spelling: a JS user told to "set allow_insecure_loopback" would look for an
/// option that does not exist.
const OPTION_NAMES: &[(&str, &str)] = &[
    ("allow_insecure_loopback", "allowInsecureLoopback"),
    ("zone_discovery_url", "zoneDiscoveryUrl"),
    ("zone_url", "zoneUrl"),
    ("tenant_url", "tenantUrl"),
    ("server_url", "serverUrl"),
    ("token_id", "tokenId"),
    ("token_secret", "tokenSecret"),
    ("integration_code", "integrationCode"),
    ("impersonation_resource_id", "impersonationResourceId"),
    ("page_size", "pageSize"),
    ("order_by", "orderBy"),
    ("autotask_paging", "autotaskPaging"),
    ("autotask_share", "autotaskShare"),
    ("max_in_flight", "maxInFlight"),
    ("max_attempts", "maxAttempts"),
    ("max_total_ms", "maxTotalMs"),
    ("rate_limited_floor_ms", "rateLimitedFloorMs"),
    ("base_ms", "baseMs"),
    ("cap_ms", "capMs"),
    ("max_wait_ms", "maxWaitMs"),
    ("failure_guard", "failureGuard"),
    ("jitter_seed", "jitterSeed"),
    ("group_package", "groupPackage"),
];

/// `text` with every option name in its JS spelling (whole words only).
fn camel_case_options(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (snake, camel) in OPTION_NAMES {
        if !out.contains(snake) {
            continue;
        }
        let mut replaced = String::with_capacity(out.len());
        let mut rest: &str = &out;
        while let Some(at) = rest.find(snake) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + snake.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            replaced.push_str(&rest[..at]);
            replaced.push_str(if word(before) || word(after) {
                snake
            } else {
                camel
            });
            rest = &rest[at + snake.len()..];
        }
        replaced.push_str(rest);
        out = Cow::Owned(replaced);
    }
    out
}

/// What a failing method throws: a plain object the wrapper makes an `MspkitError` of.
pub fn to_js(error: &Error) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    ErrorData::from(error)
        .serialize(&serializer)
        .unwrap_or_else(|_| JsValue::from_str(&camel_case_options(error.message())))
}

/// `Result<T, Error>` → `Result<T, JsValue>` for `#[wasm_bindgen]` methods.
pub fn js<T>(result: Result<T, Error>) -> Result<T, JsValue> {
    result.map_err(|e| to_js(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_take_their_js_spelling_in_whole_words_only() {
        assert_eq!(
            camel_case_options("Use https://, or set allow_insecure_loopback to reach it."),
            "Use https://, or set allowInsecureLoopback to reach it."
        );
        assert_eq!(
            camel_case_options(
                "windows[group_package] has a window; set zone_url or zone_discovery_url"
            ),
            "windows[groupPackage] has a window; set zoneUrl or zoneDiscoveryUrl"
        );
        assert_eq!(camel_case_options("my_zone_url_x"), "my_zone_url_x");
        assert!(matches!(
            camel_case_options("nothing to do"),
            Cow::Borrowed(_)
        ));
    }
}
