//! Autotask REST's JSON query: `{"filter":[...],"includeFields":[...],"maxRecords":N}`, sent
//! as a POST body or as GET `?search=<json>`.
//!
//! Autotask matches keys and string values case-insensitively (its SQL collation), so the
//! simulator does too. Limits the real API enforces and clients trip over are errors here:
//! no filter, more than 500 OR conditions, null values.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::odata::{datetime_seconds, get_ci};

type Record = Map<String, Value>;

/// Most OR conditions (or-group items plus `in`/`notIn` values) one query may hold.
pub const MAX_OR_CONDITIONS: usize = 500;
/// Deepest nesting of and/or groups; keeps recursion bounded on hostile bodies.
pub const MAX_GROUP_DEPTH: usize = 32;

const NO_FILTER: &str = "A query must contain at least one filter.";

/// A parsed query. Top-level filter items are ANDed.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Vec<Condition>,
    /// None (absent, null or empty) means every field.
    pub include_fields: Option<Vec<String>>,
    /// As sent; the caller clamps it to 1..=500.
    pub max_records: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// For `in`/`notIn`, `value` is an array; for `exist`/`notExist` it is null.
    Compare {
        op: Op,
        field: String,
        value: Value,
        udf: bool,
    },
    Group {
        or: bool,
        items: Vec<Condition>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
    BeginsWith,
    EndsWith,
    Contains,
    Exist,
    NotExist,
    In,
    NotIn,
}

const OPS: [(&str, Op); 13] = [
    ("eq", Op::Eq),
    ("noteq", Op::NotEq),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("beginsWith", Op::BeginsWith),
    ("endsWith", Op::EndsWith),
    ("contains", Op::Contains),
    ("exist", Op::Exist),
    ("notExist", Op::NotExist),
    ("in", Op::In),
    ("notIn", Op::NotIn),
];

impl Op {
    /// Case-insensitive, as Autotask reads operators.
    pub fn parse(name: &str) -> Option<Op> {
        OPS.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    /// The documented spelling.
    pub fn name(self) -> &'static str {
        OPS.iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(n, _)| n)
    }
}

/// Parses a query body (POST) or a decoded `search` parameter (GET).
pub fn parse_query(body: &Value) -> Result<Query, String> {
    let Value::Object(map) = body else {
        return Err("The query must be a JSON object with a \"filter\" array.".into());
    };
    let filter = match get_ci(map, "filter").map(|(_, v)| v) {
        None | Some(Value::Null) => return Err(NO_FILTER.into()),
        Some(Value::Array(items)) if items.is_empty() => return Err(NO_FILTER.into()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| parse_condition(item, 1))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("The filter must be an array of filter items.".into()),
    };
    let ors: usize = filter.iter().map(or_count).sum();
    if ors > MAX_OR_CONDITIONS {
        return Err(format!(
            "The query contains {ors} OR conditions; a query may contain at most \
             {MAX_OR_CONDITIONS} OR conditions. Split long 'in' lists across queries."
        ));
    }
    let include_fields = match get_ci(map, "includeFields").map(|(_, v)| v) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let names = items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or("includeFields must be an array of field names.")?;
            Some(names).filter(|n| !n.is_empty())
        }
        Some(_) => return Err("includeFields must be an array of field names.".into()),
    };
    let max_records = match get_ci(map, "maxRecords").map(|(_, v)| v) {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or("maxRecords must be an integer.")?),
    };
    Ok(Query {
        filter,
        include_fields,
        max_records,
    })
}

fn or_count(c: &Condition) -> usize {
    match c {
        Condition::Group { or, items } => {
            let own = if *or { items.len() } else { 0 };
            own + items.iter().map(or_count).sum::<usize>()
        }
        Condition::Compare {
            op: Op::In | Op::NotIn,
            value,
            ..
        } => value.as_array().map_or(0, Vec::len),
        Condition::Compare { .. } => 0,
    }
}

fn null_value(field: &str) -> String {
    format!(
        "The value for field '{field}' is null. Values must not be null; booleans must be \
         true or false. Use exist or notExist to test for empty fields."
    )
}

fn parse_condition(item: &Value, depth: usize) -> Result<Condition, String> {
    if depth > MAX_GROUP_DEPTH {
        return Err(format!(
            "Filter groups are nested too deeply; at most {MAX_GROUP_DEPTH} levels are allowed."
        ));
    }
    let Value::Object(map) = item else {
        return Err("Each filter item must be a JSON object.".into());
    };
    let field_of = |key: &str| get_ci(map, key).map(|(_, v)| v);
    let op_name = match field_of("op") {
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => return Err("A filter item is missing its 'op'.".into()),
        Some(other) => return Err(format!("{other} is not a valid filter operator.")),
    };
    if op_name.eq_ignore_ascii_case("and") || op_name.eq_ignore_ascii_case("or") {
        let items = match field_of("items") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|i| parse_condition(i, depth + 1))
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(format!(
                    "The '{op_name}' group must have a non-empty 'items' array of filter items."
                ))
            }
        };
        return Ok(Condition::Group {
            or: op_name.eq_ignore_ascii_case("or"),
            items,
        });
    }
    let op =
        Op::parse(op_name).ok_or_else(|| format!("'{op_name}' is not a valid filter operator."))?;
    let field = match field_of("field") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(format!(
                "The filter item with op '{op_name}' is missing its 'field'."
            ))
        }
    };
    let udf = match field_of("udf") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("'udf' for field '{field}' must be true or false.")),
    };
    let value = match (op, field_of("value")) {
        (Op::Exist | Op::NotExist, _) => Value::Null,
        (Op::In | Op::NotIn, Some(Value::Array(values))) => {
            for v in values {
                check_scalar(v, &field, op)?;
            }
            Value::Array(values.clone())
        }
        (Op::In | Op::NotIn, _) => {
            return Err(format!(
                "The '{}' operator on field '{field}' requires an array of values.",
                op.name()
            ))
        }
        (_, None) => {
            return Err(format!(
                "The filter on field '{field}' is missing its 'value'."
            ))
        }
        (_, Some(v)) => {
            check_scalar(v, &field, op)?;
            v.clone()
        }
    };
    Ok(Condition::Compare {
        op,
        field,
        value,
        udf,
    })
}

fn check_scalar(v: &Value, field: &str, op: Op) -> Result<(), String> {
    match v {
        Value::Null => Err(null_value(field)),
        Value::Array(_) | Value::Object(_) => Err(format!(
            "The value for field '{field}' must be a single value for operator '{}'.",
            op.name()
        )),
        _ => Ok(()),
    }
}

/// Parses the GET `search` parameter (already percent-decoded) into a query body.
pub fn parse_search_param(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("The search parameter is empty; it must be a JSON query object.".into());
    }
    // serde_json caps nesting at 128, so hostile depth fails here rather than overflowing.
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("The search parameter is not valid JSON: {e}."))?;
    if !value.is_object() {
        return Err("The search parameter must be a JSON object.".into());
    }
    Ok(value)
}

impl Query {
    /// Whether `record` passes every top-level filter item.
    pub fn matches(&self, record: &Record) -> bool {
        self.filter.iter().all(|c| c.matches(record))
    }
}

impl Condition {
    pub fn matches(&self, record: &Record) -> bool {
        match self {
            Condition::Group { or: true, items } => items.iter().any(|c| c.matches(record)),
            Condition::Group { or: false, items } => items.iter().all(|c| c.matches(record)),
            Condition::Compare {
                op,
                field,
                value,
                udf,
            } => {
                let actual = if *udf {
                    udf_value(record, field)
                } else {
                    get_ci(record, field).map(|(_, v)| v)
                };
                eval(*op, actual.filter(|v| !v.is_null()), value)
            }
        }
    }
}

/// A user-defined field's value: records carry `"userDefinedFields":[{"name","value"}]`.
fn udf_value<'a>(record: &'a Record, name: &str) -> Option<&'a Value> {
    get_ci(record, "userDefinedFields")?
        .1
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|udf| {
            get_ci(udf, "name")
                .and_then(|(_, n)| n.as_str())
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|udf| get_ci(udf, "value"))
        .map(|(_, v)| v)
}

/// `actual` is None when the field is missing or null.
fn eval(op: Op, actual: Option<&Value>, expected: &Value) -> bool {
    let ord = || actual.and_then(|a| order(a, expected));
    match op {
        Op::Exist => actual.is_some(),
        Op::NotExist => actual.is_none(),
        Op::Eq => ord() == Some(Ordering::Equal),
        // The negation of eq, so empty fields pass noteq.
        Op::NotEq => ord() != Some(Ordering::Equal),
        Op::Gt => ord() == Some(Ordering::Greater),
        Op::Gte => matches!(ord(), Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt => ord() == Some(Ordering::Less),
        Op::Lte => matches!(ord(), Some(Ordering::Less | Ordering::Equal)),
        Op::In | Op::NotIn => {
            let found = expected.as_array().is_some_and(|values| {
                values
                    .iter()
                    .any(|v| actual.and_then(|a| order(a, v)) == Some(Ordering::Equal))
            });
            found == (op == Op::In)
        }
        Op::BeginsWith | Op::EndsWith | Op::Contains => {
            match (actual.and_then(text_of), text_of(expected)) {
                (Some(a), Some(e)) => {
                    let (a, e) = (a.to_lowercase(), e.to_lowercase());
                    match op {
                        Op::BeginsWith => a.starts_with(&e),
                        Op::EndsWith => a.ends_with(&e),
                        _ => a.contains(&e),
                    }
                }
                _ => false,
            }
        }
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// None when the two cannot be compared (a number against a non-numeric string).
fn order(actual: &Value, expected: &Value) -> Option<Ordering> {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
        },
        // One side a number, the other a string: the API's data and clients both send
        // numbers as strings, so compare numerically when the string is numeric.
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            number_of(actual)?.partial_cmp(&number_of(expected)?)
        }
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::String(s)) => Some(a.to_string().cmp(&s.to_lowercase())),
        (Value::String(s), Value::Bool(b)) => Some(s.to_lowercase().cmp(&b.to_string())),
        (Value::String(a), Value::String(b)) => {
            // Dates in differing precisions ("2024-01-01" vs "...T10:00:00.123Z") compare
            // as instants; everything else case-insensitively.
            if let (Some(x), Some(y)) = (datetime_seconds(a), datetime_seconds(b)) {
                return x.partial_cmp(&y);
            }
            Some(a.to_lowercase().cmp(&b.to_lowercase()))
        }
        _ => None,
    }
}

/// Keeps only `include_fields` (matched ignoring case, in the record's own spelling).
pub fn project(record: &Record, include_fields: &[String]) -> Record {
    let mut out = Record::new();
    for name in include_fields {
        if let Some((key, value)) = get_ci(record, name) {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn company() -> Record {
        match json!({
            "id": 725,
            "companyName": "Acme Widgets Ltd",
            "companyType": 1,
            "isActive": true,
            "phone": "0113 496 0000",
            "postalCode": null,
            "ownerResourceID": "29682885",
            "lastActivityDate": "2024-03-05T10:20:30.123Z",
            "userDefinedFields": [
                {"name": "Tier", "value": "Gold"},
                {"name": "Seats", "value": "40"},
                {"name": "Empty", "value": null}
            ]
        }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn q(filter: Value) -> Query {
        parse_query(&json!({ "filter": filter })).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hit(item: Value) -> bool {
        q(json!([item])).matches(&company())
    }

    fn err(body: Value) -> String {
        parse_query(&body).expect_err("should fail")
    }

    #[test]
    fn every_operator() {
        let cases = [
            (json!({"op": "eq", "field": "id", "value": 725}), true),
            (json!({"op": "eq", "field": "id", "value": 726}), false),
            (json!({"op": "noteq", "field": "id", "value": 726}), true),
            (json!({"op": "noteq", "field": "id", "value": 725}), false),
            (json!({"op": "gt", "field": "id", "value": 724}), true),
            (json!({"op": "gt", "field": "id", "value": 725}), false),
            (json!({"op": "gte", "field": "id", "value": 725}), true),
            (json!({"op": "gte", "field": "id", "value": 0}), true),
            (json!({"op": "lt", "field": "id", "value": 726}), true),
            (json!({"op": "lt", "field": "id", "value": 725}), false),
            (json!({"op": "lte", "field": "id", "value": 725}), true),
            (json!({"op": "lte", "field": "id", "value": 724.5}), false),
            (
                json!({"op": "beginsWith", "field": "companyName", "value": "acme"}),
                true,
            ),
            (
                json!({"op": "beginsWith", "field": "companyName", "value": "Widgets"}),
                false,
            ),
            (
                json!({"op": "endsWith", "field": "companyName", "value": "LTD"}),
                true,
            ),
            (
                json!({"op": "endsWith", "field": "companyName", "value": "Acme"}),
                false,
            ),
            (
                json!({"op": "contains", "field": "companyName", "value": "widget"}),
                true,
            ),
            (
                json!({"op": "contains", "field": "companyName", "value": "gadget"}),
                false,
            ),
            (json!({"op": "contains", "field": "id", "value": 72}), true),
            (json!({"op": "exist", "field": "phone"}), true),
            (json!({"op": "exist", "field": "postalCode"}), false),
            (json!({"op": "exist", "field": "nope"}), false),
            (json!({"op": "notExist", "field": "postalCode"}), true),
            (
                json!({"op": "notExist", "field": "phone", "value": null}),
                false,
            ),
            (
                json!({"op": "in", "field": "id", "value": [1, 725, 3]}),
                true,
            ),
            (json!({"op": "in", "field": "id", "value": [1, 2]}), false),
            (json!({"op": "in", "field": "id", "value": []}), false),
            (json!({"op": "notIn", "field": "id", "value": [1, 2]}), true),
            (json!({"op": "notIn", "field": "id", "value": [725]}), false),
            (
                json!({"op": "eq", "field": "isActive", "value": true}),
                true,
            ),
            (
                json!({"op": "eq", "field": "isActive", "value": false}),
                false,
            ),
            (
                json!({"op": "noteq", "field": "isActive", "value": false}),
                true,
            ),
        ];
        for (item, want) in cases {
            assert_eq!(hit(item.clone()), want, "{item}");
        }
    }

    #[test]
    fn case_insensitive_keys_ops_fields_and_strings() {
        let body = json!({
            "Filter": [{"OP": "BEGINSWITH", "Field": "COMPANYNAME", "Value": "ACME", "UDF": false}],
            "IncludeFields": ["ID", "companyname"],
            "MaxRecords": 10
        });
        let query = parse_query(&body).unwrap();
        assert!(query.matches(&company()));
        assert_eq!(query.max_records, Some(10));
        assert_eq!(
            Value::Object(project(
                &company(),
                query.include_fields.as_deref().unwrap()
            )),
            json!({"id": 725, "companyName": "Acme Widgets Ltd"})
        );
        assert!(hit(
            json!({"op": "eq", "field": "companyName", "value": "ACME widgets ltd"})
        ));
        assert!(hit(
            json!({"op": "In", "field": "CompanyName", "value": ["x", "acme WIDGETS ltd"]})
        ));
        assert!(hit(
            json!({"op": "gt", "field": "companyName", "value": "ACMA"})
        ));
        assert!(hit(
            json!({"op": "eq", "field": "isActive", "value": "True"})
        ));
        assert_eq!(Op::parse("NOTIN"), Some(Op::NotIn));
        assert_eq!(Op::NotIn.name(), "notIn");
    }

    #[test]
    fn numbers_and_numeric_strings() {
        assert!(hit(json!({"op": "eq", "field": "id", "value": "725"})));
        assert!(hit(json!({"op": "gt", "field": "id", "value": "99"})));
        assert!(hit(
            json!({"op": "eq", "field": "ownerResourceID", "value": 29682885})
        ));
        assert!(hit(
            json!({"op": "gt", "field": "ownerResourceID", "value": 9})
        ));
        assert!(!hit(
            json!({"op": "eq", "field": "companyName", "value": 5})
        ));
        assert!(!hit(
            json!({"op": "gt", "field": "companyName", "value": 5})
        ));
        assert!(hit(
            json!({"op": "noteq", "field": "companyName", "value": 5})
        ));
        assert!(hit(
            json!({"op": "in", "field": "companyType", "value": ["1", "2"]})
        ));
    }

    #[test]
    fn dates_and_nulls() {
        assert!(hit(
            json!({"op": "gt", "field": "lastActivityDate", "value": "2024-03-05"})
        ));
        assert!(hit(
            json!({"op": "lt", "field": "lastActivityDate", "value": "2024-03-05T10:20:31Z"})
        ));
        assert!(hit(
            json!({"op": "gt", "field": "lastActivityDate", "value": "2024-03-05T10:20:30Z"})
        ));
        // Missing/null fields: only noteq, notIn and notExist pass.
        for (op, value, want) in [
            ("eq", json!("x"), false),
            ("noteq", json!("x"), true),
            ("gt", json!(0), false),
            ("lte", json!(0), false),
            ("contains", json!("x"), false),
            ("in", json!(["x"]), false),
            ("notIn", json!(["x"]), true),
        ] {
            let item = json!({"op": op, "field": "postalCode", "value": value});
            assert_eq!(hit(item), want, "{op}");
        }
    }

    #[test]
    fn user_defined_fields() {
        assert!(hit(
            json!({"op": "eq", "field": "tier", "value": "gold", "udf": true})
        ));
        assert!(!hit(json!({"op": "eq", "field": "tier", "value": "gold"})));
        assert!(hit(
            json!({"op": "gte", "field": "Seats", "value": 40, "udf": true})
        ));
        assert!(hit(json!({"op": "exist", "field": "Tier", "udf": true})));
        assert!(hit(
            json!({"op": "notExist", "field": "Empty", "udf": true})
        ));
        assert!(hit(
            json!({"op": "notExist", "field": "Unknown", "udf": true})
        ));
        let bare = match json!({"id": 1}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let query = q(json!([{"op": "eq", "field": "Tier", "value": "Gold", "udf": true}]));
        assert!(!query.matches(&bare));
    }

    #[test]
    fn groups_and_top_level_and() {
        let or_group = json!({"op": "or", "items": [
            {"op": "eq", "field": "id", "value": 1},
            {"op": "eq", "field": "id", "value": 725}
        ]});
        assert!(hit(or_group.clone()));
        let and_group = json!({"op": "AND", "items": [
            {"op": "eq", "field": "id", "value": 725},
            {"op": "eq", "field": "isActive", "value": false}
        ]});
        assert!(!hit(and_group.clone()));
        let nested = json!({"op": "or", "items": [and_group.clone(), or_group.clone()]});
        assert!(hit(nested));
        assert!(!q(json!([or_group.clone(), and_group])).matches(&company()));
        assert!(q(json!([or_group, {"op": "exist", "field": "id"}])).matches(&company()));
        assert!(err(json!({"filter": [{"op": "or", "items": []}]})).contains("non-empty 'items'"));
        assert!(err(json!({"filter": [{"op": "and"}]})).contains("'and' group"));
    }

    #[test]
    fn filter_is_required() {
        for body in [
            json!({}),
            json!({"filter": null}),
            json!({"filter": []}),
            json!({"maxRecords": 5}),
        ] {
            assert_eq!(err(body), "A query must contain at least one filter.");
        }
        assert!(err(json!({"filter": {"op": "eq"}})).contains("must be an array"));
        assert!(err(json!([1])).contains("JSON object"));
    }

    #[test]
    fn item_errors() {
        let one = |item: Value| err(json!({ "filter": [item] }));
        assert_eq!(
            one(json!({"op": "equals", "field": "id", "value": 1})),
            "'equals' is not a valid filter operator."
        );
        assert!(one(json!({"op": 5, "field": "id"})).contains("5 is not a valid filter operator"));
        assert!(one(json!({"field": "id", "value": 1})).contains("missing its 'op'"));
        assert!(one(json!({"op": "eq", "value": 1})).contains("missing its 'field'"));
        assert!(one(json!({"op": "eq", "field": " ", "value": 1})).contains("missing its 'field'"));
        assert!(one(json!({"op": "eq", "field": "id"})).contains("missing its 'value'"));
        assert!(one(json!({"op": "eq", "field": "isActive", "value": null}))
            .contains("booleans must be true or false"));
        assert!(one(json!({"op": "in", "field": "id", "value": [1, null]}))
            .contains("must be true or false"));
        assert!(one(json!({"op": "in", "field": "id", "value": 1})).contains("array of values"));
        assert!(one(json!({"op": "notIn", "field": "id"})).contains("'notIn' operator"));
        assert!(one(json!({"op": "eq", "field": "id", "value": [1]})).contains("single value"));
        assert!(one(json!({"op": "in", "field": "id", "value": [[1]]})).contains("single value"));
        assert!(
            one(json!({"op": "eq", "field": "id", "value": 1, "udf": "yes"}))
                .contains("'udf' for field 'id' must be true or false")
        );
        assert!(one(json!("eq")).contains("must be a JSON object"));
    }

    #[test]
    fn at_most_500_or_conditions() {
        let ids = |n: usize| (0..n).collect::<Vec<_>>();
        assert!(
            parse_query(&json!({"filter": [{"op": "in", "field": "id", "value": ids(500)}]}))
                .is_ok()
        );
        let e = err(json!({"filter": [{"op": "in", "field": "id", "value": ids(501)}]}));
        assert!(e.contains("at most 500 OR conditions"), "{e}");
        // Counted across the whole query: two in-lists and an or-group.
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"op": "eq", "field": "id", "value": i}))
            .collect();
        let body = json!({"filter": [
            {"op": "notIn", "field": "id", "value": ids(200)},
            {"op": "or", "items": items},
            {"op": "in", "field": "companyType", "value": ids(200)}
        ]});
        assert!(parse_query(&body).is_ok());
        let items: Vec<Value> = (0..101)
            .map(|i| json!({"op": "eq", "field": "id", "value": i}))
            .collect();
        let body = json!({"filter": [
            {"op": "notIn", "field": "id", "value": ids(200)},
            {"op": "or", "items": items},
            {"op": "and", "items": [{"op": "in", "field": "companyType", "value": ids(200)}]}
        ]});
        assert!(err(body).contains("501 OR conditions"));
        // And-group items are not OR conditions.
        let items: Vec<Value> = (0..600)
            .map(|i| json!({"op": "gte", "field": "id", "value": i}))
            .collect();
        assert!(parse_query(&json!({"filter": [{"op": "and", "items": items}]})).is_ok());
    }

    #[test]
    fn max_records_and_include_fields() {
        let base = |extra: Value| {
            let mut body = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            body
        };
        let query = parse_query(&base(json!({"maxRecords": 9999}))).unwrap();
        assert_eq!(query.max_records, Some(9999));
        assert_eq!(
            parse_query(&base(json!({"maxRecords": 0})))
                .unwrap()
                .max_records,
            Some(0)
        );
        assert_eq!(
            parse_query(&base(json!({"maxRecords": null})))
                .unwrap()
                .max_records,
            None
        );
        for bad in [json!(2.5), json!("10"), json!(true), json!(u64::MAX)] {
            assert_eq!(
                err(base(json!({ "maxRecords": bad }))),
                "maxRecords must be an integer."
            );
        }
        assert_eq!(
            parse_query(&base(json!({"includeFields": []})))
                .unwrap()
                .include_fields,
            None
        );
        assert!(err(base(json!({"includeFields": "id"}))).contains("includeFields"));
        assert!(err(base(json!({"includeFields": ["id", 3]}))).contains("includeFields"));
        let p = project(
            &company(),
            &[
                "ISACTIVE".into(),
                "missing".into(),
                "userdefinedfields".into(),
            ],
        );
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            ["isActive", "userDefinedFields"]
        );
    }

    #[test]
    fn deep_groups_are_refused() {
        let mut item = json!({"op": "eq", "field": "id", "value": 725});
        for _ in 0..31 {
            item = json!({"op": "and", "items": [item]});
        }
        assert!(hit(item.clone()));
        let deeper = json!({"op": "and", "items": [item]});
        assert!(err(json!({ "filter": [deeper] })).contains("nested too deeply"));
    }

    #[test]
    fn search_param() {
        let v = parse_search_param(r#"{"filter":[{"op":"gte","field":"id","value":0}]}"#).unwrap();
        assert!(parse_query(&v).unwrap().matches(&company()));
        assert!(parse_search_param("{\"filter\":[")
            .unwrap_err()
            .starts_with("The search parameter is not valid JSON"));
        assert!(parse_search_param("").unwrap_err().contains("empty"));
        assert!(parse_search_param("[1]")
            .unwrap_err()
            .contains("JSON object"));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_search_param(&deep).is_err());
    }

    /// xorshift64*: deterministic garbage without extra dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const WORDS: [&str; 24] = [
        "op",
        "OP",
        "field",
        "value",
        "udf",
        "items",
        "filter",
        "Filter",
        "maxRecords",
        "includeFields",
        "eq",
        "noteq",
        "gte",
        "in",
        "notIn",
        "or",
        "and",
        "exist",
        "beginsWith",
        "bogus",
        "id",
        "companyName",
        "",
        "é",
    ];

    fn random_value(rng: &mut Rng, depth: usize) -> Value {
        let pick = if depth > 5 {
            rng.below(6)
        } else {
            rng.below(9)
        };
        match pick {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => json!(rng.next() as i64 >> rng.below(64)),
            3 => json!(f64::from(rng.below(1000) as u32) / 7.0),
            4 | 5 => json!(WORDS[rng.below(WORDS.len())]),
            6 => Value::Array(
                (0..rng.below(5))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut m = Map::new();
                for _ in 0..rng.below(5) {
                    let key = WORDS[rng.below(WORDS.len())].to_string();
                    m.insert(key, random_value(rng, depth + 1));
                }
                Value::Object(m)
            }
        }
    }

    const OP_WORDS: [&str; 16] = [
        "eq",
        "noteq",
        "gt",
        "gte",
        "lt",
        "lte",
        "beginsWith",
        "endsWith",
        "contains",
        "exist",
        "notExist",
        "in",
        "notIn",
        "or",
        "and",
        "bogus",
    ];

    /// A filter item that is usually well formed, so parsing and matching get exercised.
    fn random_item(rng: &mut Rng, depth: usize) -> Value {
        let op = OP_WORDS[rng.below(OP_WORDS.len())];
        let mut item = Map::new();
        item.insert("op".into(), json!(op));
        if matches!(op, "or" | "and") && depth < 4 {
            let items: Vec<Value> = (0..rng.below(4))
                .map(|_| random_item(rng, depth + 1))
                .collect();
            item.insert("items".into(), Value::Array(items));
        } else {
            item.insert("field".into(), json!(WORDS[rng.below(WORDS.len())]));
            let value = if matches!(op, "in" | "notIn") {
                Value::Array((0..rng.below(4)).map(|_| random_value(rng, 6)).collect())
            } else {
                random_value(rng, 6)
            };
            item.insert("value".into(), value);
        }
        if rng.below(8) == 0 {
            item.insert("udf".into(), random_value(rng, 6));
        }
        Value::Object(item)
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let record = company();
        let mut accepted = 0;
        for n in 0..2000 {
            let body = if n % 2 == 0 {
                let items: Vec<Value> = (0..rng.below(4))
                    .map(|_| random_item(&mut rng, 0))
                    .collect();
                json!({"filter": items, "maxRecords": random_value(&mut rng, 6)})
            } else {
                random_value(&mut rng, 0)
            };
            if let Ok(query) = parse_query(&body) {
                accepted += 1;
                query.matches(&record);
                if let Some(fields) = &query.include_fields {
                    project(&record, fields);
                }
            }
            let text = body.to_string();
            let cut = text
                .char_indices()
                .nth(rng.below(text.len() + 1))
                .map_or(text.len(), |(i, _)| i);
            if let Ok(v) = parse_search_param(&text[..cut]) {
                let _ = parse_query(&v);
            }
        }
        assert!(accepted > 20, "only {accepted} queries parsed");
    }
}
