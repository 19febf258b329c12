//! One JS options object, read field by field. A wrong type is an `invalid_config` error
//! naming the field and what to pass, never echoing the value (it could be a secret typed
//! into the wrong box); an unknown name is an error too, not an option silently ignored.

use mspkit_core::Error;
use serde_json::{Map, Value};

/// The fields of one options object; `null` and `undefined` count as absent.
pub struct Fields {
    map: Map<String, Value>,
}

/// JS's name for the type of `value`, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    /// The object `value` (absent = empty), which may hold only the fields in `known`.
    /// `what` names it in messages ("Client.vsax options").
    pub fn new(value: Value, what: &str, known: &[&str]) -> Result<Fields, Error> {
        let map = match value {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            other => {
                return Err(Error::config(
                    format!("{what} must be an object, got {}", type_name(&other)),
                    format!("Pass {what} as an object such as {{ {}: ... }}.", known[0]),
                ))
            }
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(unknown_name(unknown, &format!("field in {what}"), known));
        }
        Ok(Fields { map })
    }

    /// The value of `name`, unless absent or null.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<String, Error> {
        self.opt_string(name)?.ok_or_else(|| {
            Error::config(
                format!("{name} is missing"),
                format!("Pass {name} as a string."),
            )
        })
    }

    /// An optional string.
    pub fn opt_string(&self, name: &str) -> Result<Option<String>, Error> {
        self.get(name).map(|v| string(v, name)).transpose()
    }

    /// An optional boolean.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::config(
                format!("{name} must be true or false, got {}", type_name(other)),
                format!("Pass {name}: true or {name}: false."),
            )),
        }
    }

    /// An optional integer from 0 to `max`.
    pub fn opt_uint(&self, name: &str, max: u64) -> Result<Option<u64>, Error> {
        self.get(name).map(|v| uint(v, name, max)).transpose()
    }
}

/// The error for a name that is not one of `known`. The name itself is not quoted (a
/// secret pasted as a key must not end up in a log); a close known name is suggested.
pub fn unknown_name(name: &str, what: &str, known: &[&str]) -> Error {
    let hint = match suggest(name, known) {
        Some(close) => format!(" (did you mean {close}?)"),
        None => String::new(),
    };
    Error::config(
        format!("An unknown {what}{hint}"),
        format!("Use any of: {}.", known.join(", ")),
    )
}

/// The known name `name` was probably meant to be: the same but for case, `_` and `-`
/// (`token_secret`), or at most two letters off (`tokenSecrt`).
fn suggest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let plain = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let name = plain(name);
    known
        .iter()
        .map(|k| (edit_distance(&name, &plain(k)), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A string value.
pub fn string(value: &Value, name: &str) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(Error::config(
            format!("{name} must be a string, got {}", type_name(other)),
            format!("Pass {name} as a string."),
        )),
    }
}

/// A non-negative integer no larger than `max` (a JS number that is a safe integer, or a
/// BigInt).
pub fn uint(value: &Value, name: &str, max: u64) -> Result<u64, Error> {
    let remedy = format!("Pass {name} as an integer from 0 to {max}.");
    let Value::Number(number) = value else {
        return Err(Error::config(
            format!("{name} must be an integer, got {}", type_name(value)),
            remedy,
        ));
    };
    let n = number.as_u64().or_else(|| {
        // JS numbers arrive as floats when written as 2e3 or computed: accept whole ones.
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9_007_199_254_740_991.0)
            .map(|f| f as u64)
    });
    match n {
        Some(n) if n <= max => Ok(n),
        _ => Err(Error::config(format!("{name} is out of range"), remedy)),
    }
}

/// A `u32` (0 included).
pub fn u32_value(value: &Value, name: &str) -> Result<u32, Error> {
    // The bound makes the conversion lossless.
    uint(value, name, u64::from(u32::MAX)).map(|n| n as u32)
}

/// A positive `u32`.
pub fn positive_u32(value: &Value, name: &str) -> Result<u32, Error> {
    match u32_value(value, name)? {
        0 => Err(Error::config(
            format!("{name} is 0"),
            format!("Pass {name} as an integer of at least 1."),
        )),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_and_wrong_types_are_named_without_their_values() {
        let e = Fields::new(
            json!({"tokenSecret": 1, "bogus": 2}),
            "opts",
            &["tokenSecret"],
        )
        .err()
        .unwrap();
        assert_eq!(e.message(), "An unknown field in opts");
        let e = Fields::new(json!({"token_secret": 1}), "opts", &["tokenSecret"])
            .err()
            .unwrap();
        assert_eq!(
            e.message(),
            "An unknown field in opts (did you mean tokenSecret?)"
        );
        let e = Fields::new(
            json!({"tokenSecrt": 1}),
            "opts",
            &["tokenSecret", "tokenId"],
        )
        .err()
        .unwrap();
        assert!(e.message().ends_with("(did you mean tokenSecret?)"));
        let f = Fields::new(json!({"tokenSecret": 12345}), "opts", &["tokenSecret"]).unwrap();
        let e = f.string("tokenSecret").unwrap_err();
        assert_eq!(e.message(), "tokenSecret must be a string, got a number");
        assert!(!e.to_string().contains("12345"));
        assert!(Fields::new(json!("x"), "opts", &["a"]).is_err());
        assert!(Fields::new(Value::Null, "opts", &["a"]).is_ok());
    }

    #[test]
    fn integers_may_be_whole_floats_but_not_fractions_or_negatives() {
        assert_eq!(uint(&json!(2000.0), "n", 10_000).unwrap(), 2000);
        assert_eq!(uint(&json!(u64::MAX), "n", u64::MAX).unwrap(), u64::MAX);
        assert!(uint(&json!(1.5), "n", 10).is_err());
        assert!(uint(&json!(-1), "n", 10).is_err());
        assert!(uint(&json!(11), "n", 10).is_err());
        assert!(uint(&json!("1"), "n", 10).is_err());
        assert!(positive_u32(&json!(0), "n").is_err());
    }
}
