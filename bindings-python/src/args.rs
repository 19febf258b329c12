//! Method arguments from Python: numbers, strings, headers, bodies and JSON-like values.
//! A wrong type or range is a ConfigError naming the argument and what to pass instead.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyMemoryView,
    PyString, PyTuple,
};
use serde_json::{Map, Number, Value};

use crate::errors::config_error;

/// Python's name for the type of `value`, for messages (never the value itself: it could
/// be a secret passed in the wrong place).
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// A non-negative integer no larger than `max`.
pub fn uint(value: &Bound<'_, PyAny>, name: &str, max: u64) -> PyResult<u64> {
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        if let Ok(n) = value.extract::<u64>() {
            if n <= max {
                return Ok(n);
            }
        }
        return Err(config_error(
            format!("{name} is out of range"),
            format!("Pass {name} as an integer from 0 to {max}."),
        ));
    }
    Err(config_error(
        format!("{name} must be an integer, got {}", type_name(value)),
        format!("Pass {name} as an integer from 0 to {max}."),
    ))
}

pub fn u64_arg(value: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    uint(value, name, u64::MAX)
}

pub fn u32_arg(value: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
    // The bound makes the conversion lossless.
    uint(value, name, u64::from(u32::MAX)).map(|n| n as u32)
}

/// A time in Unix milliseconds: an int, or a float such as `time.time() * 1000`.
pub fn now_ms(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(float) = value.cast::<PyFloat>() {
        let ms = float.value();
        if ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64 {
            return Ok(ms as u64);
        }
        return Err(config_error(
            "now_ms is not a time",
            "Pass the current time in Unix milliseconds, e.g. int(time.time() * 1000).",
        ));
    }
    uint(value, "now_ms", u64::MAX).map_err(|_| {
        config_error(
            format!("now_ms must be Unix milliseconds, got {}", type_name(value)),
            "Pass the current time in Unix milliseconds, e.g. int(time.time() * 1000).",
        )
    })
}

/// A str (not bytes: text arguments are never guessed from an encoding).
pub fn string(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(s) => text(s, name).map(String::from),
        Err(_) => Err(config_error(
            format!("{name} must be a str, got {}", type_name(value)),
            format!("Pass {name} as a string."),
        )),
    }
}

/// The UTF-8 text of a str; one holding lone surrogates (no UTF-8 form) is refused.
pub fn text<'a>(value: &'a Bound<'_, PyString>, name: &str) -> PyResult<Cow<'a, str>> {
    value.to_cow().map_err(|_| {
        config_error(
            format!("{name} is not valid text (it holds lone surrogates)"),
            format!("Pass {name} as text that can be encoded as UTF-8."),
        )
    })
}

/// A header name or value: str, or bytes as HTTP carries them (ISO-8859-1).
fn header_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(text(s, "a header")?.into_owned());
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().iter().map(|&c| char::from(c)).collect());
    }
    Err(bad_headers(&format!(
        "a header part is {}",
        type_name(value)
    )))
}

fn bad_headers(what: &str) -> PyErr {
    config_error(
        format!("headers must be (name, value) string pairs or a mapping; {what}"),
        "Pass the response headers as your HTTP client gives them: a list of (name, value) \
         tuples, a dict, or any mapping with .items().",
    )
}

/// Response headers: a sequence of (name, value) pairs, or any mapping (read through
/// `.items()`, which also covers http.client's message and requests'/httpx's headers).
pub fn headers(value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    if value.is_none() {
        return Ok(Vec::new());
    }
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
    {
        return Err(bad_headers(&format!("got {}", type_name(value))));
    }
    let mut out = Vec::new();
    if let Ok(dict) = value.cast::<PyDict>() {
        for (name, val) in dict.iter() {
            out.push((header_text(&name)?, header_text(&val)?));
        }
        return Ok(out);
    }
    let pairs = if !value.is_instance_of::<PyList>()
        && !value.is_instance_of::<PyTuple>()
        && value.hasattr("items").unwrap_or(false)
    {
        value.call_method0("items")?
    } else {
        value.clone()
    };
    let iter = pairs
        .try_iter()
        .map_err(|_| bad_headers(&format!("got {}", type_name(value))))?;
    for pair in iter {
        let pair = pair?;
        out.push(header_pair(&pair)?);
    }
    Ok(out)
}

fn header_pair(pair: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    if let Ok(tuple) = pair.cast::<PyTuple>() {
        if tuple.len() == 2 {
            return Ok((
                header_text(&tuple.get_item(0)?)?,
                header_text(&tuple.get_item(1)?)?,
            ));
        }
    } else if !pair.is_instance_of::<PyString>() && pair.len().ok() == Some(2) {
        return Ok((
            header_text(&pair.get_item(0)?)?,
            header_text(&pair.get_item(1)?)?,
        ));
    }
    Err(bad_headers(&format!(
        "an element is {}, not a pair",
        type_name(pair)
    )))
}

/// Runs `f` on the body's bytes: borrowed from a bytes object, encoded once from a str,
/// copied from a bytearray or memoryview (whose buffers could change under us).
pub fn with_body<R>(value: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if value.is_none() {
        return Ok(f(&[]));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(f(bytes.as_bytes()));
    }
    if let Ok(body) = value.cast::<PyString>() {
        let body = text(body, "body")?;
        return Ok(f(body.as_bytes()));
    }
    if let Ok(array) = value.cast::<PyByteArray>() {
        return Ok(f(&array.to_vec()));
    }
    if value.is_instance_of::<PyMemoryView>() {
        let copy = value.call_method0("tobytes")?;
        let bytes = copy.cast::<PyBytes>()?;
        return Ok(f(bytes.as_bytes()));
    }
    Err(config_error(
        format!(
            "body must be str, bytes, bytearray, memoryview or None, got {}",
            type_name(value)
        ),
        "Pass the response body as your HTTP client gives it (bytes preferred).",
    ))
}

/// Deepest nesting accepted in a JSON-like argument (a self-containing list would
/// otherwise recurse forever).
const MAX_DEPTH: usize = 64;

/// A JSON-like Python value (filter items): dicts with str keys, lists, tuples, str, int,
/// float, bool and None.
pub fn json_value(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    to_json(value, name, 0)
}

fn to_json(value: &Bound<'_, PyAny>, name: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(config_error(
            format!("{name} is nested more than {MAX_DEPTH} levels deep"),
            format!("Pass {name} as plain JSON-like data (it may contain itself)."),
        ));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(text(s, name)?.into_owned()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(n) = value.extract::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = value.extract::<u64>() {
            return Ok(Value::from(n));
        }
        return Err(config_error(
            format!("{name} holds an integer too large for JSON"),
            format!("Keep integers in {name} within 64 bits."),
        ));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| {
                config_error(
                    format!("{name} holds a float that JSON cannot carry (NaN or infinity)"),
                    format!("Use finite numbers in {name}."),
                )
            });
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in value.try_iter()? {
            items.push(to_json(&item?, name, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    if value.is_instance_of::<PyDict>() || value.is_instance_of::<PyMapping>() {
        let mut map = Map::new();
        for pair in value.call_method0("items")?.try_iter()? {
            let pair = pair?;
            let key = pair.get_item(0)?;
            let key = key.cast::<PyString>().map_err(|_| {
                config_error(
                    format!("{name} has a mapping key of type {}", type_name(&key)),
                    format!("Use str keys in {name}."),
                )
            })?;
            map.insert(
                text(key, name)?.into_owned(),
                to_json(&pair.get_item(1)?, name, depth + 1)?,
            );
        }
        return Ok(Value::Object(map));
    }
    Err(config_error(
        format!("{name} holds a value of type {}", type_name(value)),
        format!(
            "Use only dicts, lists, str, int, float, bool and None in {name} \
             (convert dates to ISO 8601 strings)."
        ),
    ))
}
