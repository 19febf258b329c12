//! Method arguments from JS: options objects, times, ids, headers and bodies. A wrong
//! type is an `invalid_config` error naming the argument, never showing its value.

use js_sys::{Array, ArrayBuffer, Object, Uint8Array};
use mspkit_core::Error;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// An options object as JSON-like data (absent = null).
pub fn options(value: JsValue, what: &str) -> Result<Value, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    // The converter's own message could quote a value: say only what is allowed.
    serde_wasm_bindgen::from_value(value).map_err(|_| {
        Error::config(
            format!("{what} could not be read"),
            format!(
                "Pass {what} as a plain object of strings, numbers, booleans, arrays and \
                 plain objects."
            ),
        )
    })
}

/// A string argument.
pub fn string(value: &JsValue, name: &str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| {
        Error::config(
            format!("{name} must be a string, got {}", js_type(value)),
            format!("Pass {name} as a string."),
        )
    })
}

/// An integer argument from 0 to `max`.
pub fn uint(value: f64, name: &str, max: u64) -> Result<u64, Error> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= max as f64 {
        // Checked above: whole, non-negative and in range.
        Ok(value as u64)
    } else {
        Err(Error::config(
            format!("{name} must be an integer from 0 to {max}"),
            format!("Pass {name} as a whole number."),
        ))
    }
}

/// The host's time in Unix milliseconds (`Date.now()`; fractions are dropped).
pub fn now_ms(value: f64) -> Result<u64, Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(value as u64)
    } else {
        Err(Error::config(
            "nowMs is not a time",
            "Pass the current time in Unix milliseconds: Date.now().",
        ))
    }
}

/// Response headers: an array of `[name, value]` pairs, any iterable of pairs (`Headers`,
/// `Map`), or a plain object; null or undefined for none.
pub fn headers(value: &JsValue) -> Result<Vec<(String, String)>, Error> {
    let remedy = "Pass headers as an array of [name, value] pairs, a Headers object or a \
                  plain object of strings.";
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !value.is_object() {
        return Err(Error::config(
            format!("headers must be an object, got {}", js_type(value)),
            remedy,
        ));
    }
    let entries: Array = match value.dyn_ref::<Array>() {
        Some(array) => array.clone(),
        None => match js_sys::try_iter(value).ok().flatten() {
            Some(_) => Array::from(value),
            None => Object::entries(value.unchecked_ref()),
        },
    };
    let mut out = Vec::with_capacity(entries.length() as usize);
    for entry in entries.iter() {
        let pair = entry.dyn_into::<Array>().ok().filter(|p| p.length() == 2);
        let strings = pair.and_then(|p| Some((p.get(0).as_string()?, p.get(1).as_string()?)));
        match strings {
            Some(pair) => out.push(pair),
            None => {
                return Err(Error::config(
                    "A header is not a [name, value] pair of strings",
                    remedy,
                ))
            }
        }
    }
    Ok(out)
}

/// A response body: a string, a `Uint8Array` (or any typed array / DataView) or an
/// `ArrayBuffer`; null or undefined for none.
pub fn body(value: &JsValue) -> Result<Vec<u8>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let view: &js_sys::DataView = value.unchecked_ref();
        let bytes = Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        );
        return Ok(bytes.to_vec());
    }
    Err(Error::config(
        format!("body must be a string or bytes, got {}", js_type(value)),
        "Pass the response body as a string, a Uint8Array or an ArrayBuffer.",
    ))
}

/// JS's name for the type of `value`, for messages.
fn js_type(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        value
            .js_typeof()
            .as_string()
            .unwrap_or_else(|| "a value".into())
    }
}
