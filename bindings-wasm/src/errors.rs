//! Core errors as data for JS: the plain fields of `MspkitError`. The JS wrapper turns
//! every thrown or delivered one into an `MspkitError` instance (see pkg-src/errors.js).

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
    message: &'a str,
    remediation: &'a str,
    vendor_message: Option<&'a str>,
    retryable: bool,
}

impl<'a> From<&'a Error> for ErrorData<'a> {
    fn from(e: &'a Error) -> Self {
        ErrorData {
            mspkit: true,
            code: e.code().as_str(),
            status: e.status(),
            message: e.message(),
            remediation: e.remediation(),
            vendor_message: e.vendor_message(),
            retryable: e.is_retryable(),
        }
    }
}

/// What a failing method throws: a plain object the wrapper makes an `MspkitError` of.
pub fn to_js(error: &Error) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    ErrorData::from(error)
        .serialize(&serializer)
        .unwrap_or_else(|_| JsValue::from_str(error.message()))
}

/// `Result<T, Error>` → `Result<T, JsValue>` for `#[wasm_bindgen]` methods.
pub fn js<T>(result: Result<T, Error>) -> Result<T, JsValue> {
    result.map_err(|e| to_js(&e))
}
