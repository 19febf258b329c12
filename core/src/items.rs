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
use crate::record_repair;
use crate::Error;

/// The records of one page: a JSON array of records, each checked to be well-formed.
#[derive(Clone, PartialEq, Eq)]
pub struct Items {
    /// `[r1,r2,...]`, each record's text exactly as the server wrote it.
    json: String,
    /// Where each record's text sits in `json`.
    spans: Vec<(usize, usize)>,
}

impl Items {
    /// How many records the page holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True for an empty page.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The records as one JSON array (`[{...},{...}]`).
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// Each record's JSON text, in order.
    pub fn records_json(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.json[start..end])
    }

    /// The records as `serde_json` values, one per record (see [`Items::repaired`] for
    /// the rare records serde_json cannot read as sent).
    pub fn to_values(&self) -> Vec<Value> {
        serde_json::from_str(&self.json)
            .or_else(|_| serde_json::from_str(&self.repaired().json))
            .unwrap_or_default()
    }

    /// The records with every one made readable by serde_json (and so by every binding's
    /// decoder). Records are delimited, not parsed, when a page arrives, which lets two
    /// kinds of valid JSON text through that serde_json refuses: a lone UTF-16 surrogate
    /// escape (`"\ud800"`, from .NET serialisers cutting a string inside an emoji),
    /// which becomes U+FFFD, and a number beyond f64 (`1e400`), which becomes a string of
    /// its exact text. Decoders call this only after a failure, so ordinary pages pay
    /// nothing. A record that stays unreadable (none is known) becomes a JSON string of
    /// its text, so no record is ever dropped.
    pub fn repaired(&self) -> Items {
        let texts: Vec<String> = self
            .records_json()
            .map(|record| match record_repair::repaired(record) {
                Some(None) => record.to_string(),
                Some(Some(fixed)) => fixed,
                None => Value::String(record.to_string()).to_string(),
            })
            .collect();
        Items::from_texts(texts.iter().map(String::as_str))
    }

    /// Records built by hand (tests, or a host that has values already).
    pub fn from_values(values: &[Value]) -> Items {
        let texts: Vec<String> = values.iter().map(Value::to_string).collect();
        Items::from_texts(texts.iter().map(String::as_str))
    }

    fn from_texts<'a>(texts: impl ExactSizeIterator<Item = &'a str>) -> Items {
        let mut json = String::from("[");
        let mut spans = Vec::with_capacity(texts.len());
        for (i, text) in texts.enumerate() {
            if i > 0 {
                json.push(',');
            }
            let start = json.len();
            json.push_str(text);
            spans.push((start, json.len()));
        }
        json.push(']');
        Items { json, spans }
    }
}

impl Default for Items {
    fn default() -> Self {
        Items {
            json: "[]".to_string(),
            spans: Vec::new(),
        }
    }
}

impl fmt::Debug for Items {
    // Pages can be large; a debug line says how many records, not what they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Items({} records)", self.len())
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
    let fast = std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            let trimmed = text.trim_start_matches('\u{feff}').trim();
            let mut de = serde_json::Deserializer::from_str(trimmed);
            // serde_json's messages name a position and a category, never the input.
            let envelope = de
                .deserialize_map(EnvelopeVisitor { key })
                .map_err(|e| e.to_string())?;
            de.end().map_err(|e| e.to_string())?;
            Ok(envelope)
        });
    match fast {
        Ok((mut map, list)) => {
            if let Some(placeholder) = list.placeholder() {
                map.insert(key.to_string(), placeholder);
            }
            Ok((map, list))
        }
        Err(cause) => {
            // Not an object, not JSON, truncated, HTML...: the shared path names it.
            parse_object(body, expected)?;
            Err(Error::bad_response(format!(
                "Expected {expected}, got a JSON object that could not be read: {}",
                crate::error::truncate_chars(&cause, 120)
            )))
        }
    }
}

struct EnvelopeVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
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
                    ListField::Elements(elements) => {
                        RawList::Items(Items::from_texts(elements.iter().map(|e| e.get())))
                    }
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
    let mut max: Option<i64> = None;
    for record in items.records_json() {
        let id = id_of(record).ok_or_else(missing_id)?;
        max = Some(max.map_or(id, |m| m.max(id)));
    }
    Ok(max)
}

/// A record's `id`, reading its fields only up to that one: the parse stops there (real
/// Autotask records start with it), the record having been checked whole already.
fn id_of(record: &str) -> Option<i64> {
    let found = std::cell::Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(record);
    // An error is how the visitor stops early; what it found is in `found`.
    let _ = de::Deserializer::deserialize_map(&mut de, IdVisitor { found: &found });
    found.get()
}

struct IdVisitor<'f> {
    found: &'f std::cell::Cell<Option<i64>>,
}

impl<'de> Visitor<'de> for IdVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while let Some(IsId(is_id)) = access.next_key::<IsId>()? {
            if is_id {
                let value: Value = access.next_value()?;
                self.found.set(crate::json::as_i64_lenient(&value));
                return Err(de::Error::custom("found"));
            }
            access.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

fn missing_id() -> Error {
    Error::bad_response("Expected every Autotask record to carry a numeric \"id\"")
}

/// Whether a record's key is `id` (any case), decided without copying the key.
struct IsId(bool);

impl<'de> de::Deserialize<'de> for IsId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IsId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<IsId, E> {
                Ok(IsId(key.eq_ignore_ascii_case("id")))
            }
        }
        deserializer.deserialize_str(V)
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
        assert_eq!(items.as_json(), r#"[{"Id":1,"Name":"a , ]"},{"Id":2}]"#);
        assert_eq!(
            items.records_json().collect::<Vec<_>>(),
            [r#"{"Id":1,"Name":"a , ]"}"#, r#"{"Id":2}"#]
        );
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
