//! The records of a page, kept as the JSON text the server sent.
//!
//! A page's envelope (counts, links, status) is read in one pass over the body; the
//! records are only delimited and counted, never turned into trees here. Each binding then
//! builds its own objects from the text in one step (Python dicts, JS objects), which is
//! what makes delivering a page no slower than a plain `json.loads` / `JSON.parse`.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json::{parse_object, type_name};
use crate::Error;

/// The records of one page: a JSON array, checked to be well-formed, and its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Items {
    json: String,
    len: usize,
}

impl Items {
    /// How many records the page holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty page.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The records as a JSON array (`[{...},{...}]`), exactly as the server wrote them.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// The records as `serde_json` values.
    pub fn to_values(&self) -> Vec<Value> {
        // The text was parsed once already when the page arrived: it cannot fail here.
        serde_json::from_str(&self.json).unwrap_or_default()
    }

    /// Records built by hand (tests, or a host that has values already).
    pub fn from_values(values: &[Value]) -> Items {
        Items {
            json: Value::Array(values.to_vec()).to_string(),
            len: values.len(),
        }
    }
}

impl Default for Items {
    fn default() -> Self {
        Items {
            json: "[]".to_string(),
            len: 0,
        }
    }
}

impl fmt::Debug for Items {
    // Pages can be large; a debug line says how many records, not what they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Items({} records)", self.len)
    }
}

/// The list field of an envelope as it was found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawList {
    Missing,
    Null,
    Items(Items),
    /// Not a list: what it was instead.
    Other(Value),
}

impl RawList {
    /// The records, or the error a list endpoint owes its caller for anything else.
    pub fn into_items(self, key: &str, expected: &str) -> Result<Items, Error> {
        match self {
            RawList::Missing | RawList::Null => Ok(Items::default()),
            RawList::Items(items) => Ok(items),
            RawList::Other(other) => Err(Error::bad_response(format!(
                "Expected {expected} with \"{key}\" as a list, got a JSON {}",
                type_name(&other)
            ))),
        }
    }

    /// What the envelope map holds under `key`, for the vendors' shape checks: an empty
    /// array stands in for the records.
    fn placeholder(&self) -> Option<Value> {
        match self {
            RawList::Missing => None,
            RawList::Null => Some(Value::Null),
            RawList::Items(_) => Some(Value::Array(Vec::new())),
            RawList::Other(v) => Some(v.clone()),
        }
    }
}

/// Reads a list envelope in one pass: every field but the list (`key`, matched
/// case-insensitively) as values, the list as delimited text. Errors are the same as
/// `parse_object`'s (the slower path runs only to describe a body that failed).
pub(crate) fn parse_list_object(
    body: &[u8],
    key: &str,
    expected: &str,
) -> Result<(Map<String, Value>, RawList), Error> {
    let fast = std::str::from_utf8(body).ok().and_then(|text| {
        let trimmed = text.trim_start_matches('\u{feff}').trim();
        let mut de = serde_json::Deserializer::from_str(trimmed);
        let envelope = de
            .deserialize_map(EnvelopeVisitor { key, body: trimmed })
            .ok()?;
        de.end().ok()?;
        Some(envelope)
    });
    match fast {
        Some((mut map, list)) => {
            if let Some(placeholder) = list.placeholder() {
                map.insert(key.to_string(), placeholder);
            }
            Ok((map, list))
        }
        None => {
            // Not an object, not JSON, truncated, HTML...: the shared path names it.
            let map = parse_object(body, expected)?;
            Err(Error::bad_response(format!(
                "Expected {expected}, got a JSON object that could not be read ({} fields)",
                map.len()
            )))
        }
    }
}

struct EnvelopeVisitor<'k, 'b> {
    key: &'k str,
    body: &'b str,
}

impl<'de, 'k> Visitor<'de> for EnvelopeVisitor<'k, 'de> {
    type Value = (Map<String, Value>, RawList);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        let mut list = RawList::Missing;
        while let Some(name) = access.next_key::<String>()? {
            if matches!(list, RawList::Missing) && name.eq_ignore_ascii_case(self.key) {
                let field: ListField<'de> = access.next_value()?;
                list = match field {
                    ListField::Null => RawList::Null,
                    ListField::Elements(elements) => RawList::Items(items_in(self.body, &elements)),
                    ListField::Other(value) => RawList::Other(value),
                };
            } else {
                let raw: &'de RawValue = access.next_value()?;
                let value = serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                map.insert(name, value);
            }
        }
        Ok((map, list))
    }
}

/// The records' text: from the first element to the end of the last, taken from `body`
/// (which every element borrows from), inside brackets.
fn items_in(body: &str, elements: &[&RawValue]) -> Items {
    let base = body.as_ptr() as usize;
    let span = match (elements.first(), elements.last()) {
        (Some(first), Some(last)) => {
            let start = (first.get().as_ptr() as usize).checked_sub(base);
            let end = (last.get().as_ptr() as usize + last.get().len()).checked_sub(base);
            match (start, end) {
                (Some(start), Some(end)) => body.get(start..end),
                _ => None,
            }
        }
        _ => Some(""),
    };
    match span {
        Some(span) => Items {
            json: format!("[{span}]"),
            len: elements.len(),
        },
        // Elements that do not come from `body` cannot happen with a borrowing parser;
        // join them one by one rather than fail.
        None => Items::from_elements_joined(elements),
    }
}

impl Items {
    fn from_elements_joined(elements: &[&RawValue]) -> Items {
        let parts: Vec<&str> = elements.iter().map(|e| e.get()).collect();
        Items {
            json: format!("[{}]", parts.join(",")),
            len: elements.len(),
        }
    }
}

/// The list field: an array (its elements delimited, not parsed), null, or anything else.
enum ListField<'a> {
    Null,
    Elements(Vec<&'a RawValue>),
    Other(Value),
}

impl<'de> de::Deserialize<'de> for ListField<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListFieldVisitor)
    }
}

/// One pass over the list: each element is delimited (borrowed as raw text), not parsed.
struct ListFieldVisitor;

impl<'de> Visitor<'de> for ListFieldVisitor {
    type Value = ListField<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
        while let Some(element) = access.next_element::<&'de RawValue>()? {
            elements.push(element);
        }
        Ok(ListField::Elements(elements))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ListField::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ListField::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        let value = de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(access))?;
        Ok(ListField::Other(value))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ListField::Other(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ListField::Other(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ListField::Other(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(ListField::Other(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ListField::Other(Value::String(v.to_string())))
    }
}

/// The largest `id` over the records (Autotask's keyset cursor), reading only that field
/// of each record (case-insensitively). Err names the first record without a numeric id.
pub(crate) fn max_id(items: &Items) -> Result<Option<i64>, Error> {
    let ids: Vec<IdOnly> = serde_json::from_str(items.as_json()).map_err(|_| missing_id())?;
    let mut max: Option<i64> = None;
    for IdOnly(id) in ids {
        let id = id.ok_or_else(missing_id)?;
        max = Some(max.map_or(id, |m| m.max(id)));
    }
    Ok(max)
}

fn missing_id() -> Error {
    Error::bad_response("Expected every Autotask record to carry a numeric \"id\"")
}

/// One record's `id`, everything else skipped unparsed.
struct IdOnly(Option<i64>);

impl<'de> de::Deserialize<'de> for IdOnly {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdOnly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<IdOnly, A::Error> {
                let mut id = None;
                while let Some(name) = access.next_key::<std::borrow::Cow<'de, str>>()? {
                    if id.is_none() && name.eq_ignore_ascii_case("id") {
                        let value: Value = access.next_value()?;
                        id = crate::json::as_i64_lenient(&value);
                    } else {
                        access.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(IdOnly(id))
            }
            fn visit_unit<E: de::Error>(self) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<IdOnly, A::Error> {
                while access.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IdOnly(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<IdOnly, E> {
                Ok(IdOnly(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_pass_reads_the_envelope_and_delimits_the_records() {
        let body = br#" {"Data": [ {"Id":1,"Name":"a , ]"} ,{"Id":2} ],"Meta":{"TotalCount":2}} "#;
        let (map, list) = parse_list_object(body, "data", "x").unwrap();
        assert_eq!(map["Meta"], json!({"TotalCount": 2}));
        assert_eq!(map["data"], json!([]), "a stand-in for the shape checks");
        let items = list.into_items("Data", "x").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items.as_json(), r#"[{"Id":1,"Name":"a , ]"} ,{"Id":2}]"#);
        assert_eq!(
            items.to_values(),
            vec![json!({"Id":1,"Name":"a , ]"}), json!({"Id":2})]
        );
        assert_eq!(format!("{items:?}"), "Items(2 records)");
    }

    #[test]
    fn null_missing_and_other_list_fields() {
        let (_, list) = parse_list_object(br#"{"Data":null}"#, "Data", "x").unwrap();
        assert!(list.into_items("Data", "x").unwrap().is_empty());
        let (_, list) = parse_list_object(br#"{"Meta":{}}"#, "Data", "x").unwrap();
        assert_eq!(list, RawList::Missing);
        let (map, list) = parse_list_object(br#"{"Data":{"Id":1}}"#, "Data", "x").unwrap();
        assert_eq!(map["Data"], json!({"Id": 1}));
        let err = list.into_items("Data", "the envelope").unwrap_err();
        assert!(err.message().contains("got a JSON object"), "{err}");
        let (_, list) = parse_list_object(br#"{"data":"nope"}"#, "Data", "x").unwrap();
        assert_eq!(
            list.into_items("Data", "a list envelope")
                .unwrap_err()
                .message(),
            "Expected a list envelope with \"Data\" as a list, got a JSON string"
        );
        let (_, list) = parse_list_object(br#"{"Data":[]}"#, "Data", "x").unwrap();
        assert_eq!(list.into_items("Data", "x").unwrap().as_json(), "[]");
    }

    #[test]
    fn bad_bodies_get_the_shared_diagnosis() {
        for (body, needle) in [
            (&b""[..], "empty"),
            (b"<html><title>502 Bad Gateway</title></html>", "HTML"),
            (br#"{"Data":[{"Id":1},"#, "truncated"),
            (br#"[1,2]"#, "JSON array"),
            (b"\xff\xfe", "UTF-8"),
        ] {
            let err = parse_list_object(body, "Data", "x").unwrap_err();
            assert!(err.message().contains(needle), "{needle}: {err}");
        }
        let truncated = parse_list_object(br#"{"Data":[{"Id":1},"#, "Data", "x").unwrap_err();
        assert!(truncated.is_retryable());
    }

    #[test]
    fn max_id_reads_only_ids() {
        let items =
            Items::from_values(&[json!({"id": 3, "x": [1, {"id": 99}]}), json!({"ID": "9"})]);
        assert_eq!(max_id(&items).unwrap(), Some(9));
        assert_eq!(max_id(&Items::default()).unwrap(), None);
        let bad = Items::from_values(&[json!({"name": "no id"})]);
        assert!(max_id(&bad).is_err());
        let not_objects = Items::from_values(&[json!(5)]);
        assert!(max_id(&not_objects).is_err());
    }
}
