//! No input makes the core panic, and whatever the servers send, every job ends sanely.
//!
//! A panic in WebAssembly kills the module, so every path that takes outside input is fed
//! arbitrary data here: response statuses, headers and bodies (pure random bytes and
//! "structured noise" built from the vendors' real envelope keys), transport errors, clock
//! values, constructor arguments, list options, cursors and exported state.
//!
//! The drive loop answers the first few requests like a well-behaved server (so that a
//! logon, a zone discovery, a first page or a later page is in flight when the noise
//! starts), then with noise, then with a final 404 so every job must end. Invariants:
//! - `poll`, `handle_response` and `handle_transport_error` never panic;
//! - every job ends with exactly one terminal event (Done/Failed for lists, Connection for
//!   tests) and no event follows it; the client is idle afterwards;
//! - pages of a job have consecutive numbers starting after the cursor, Done counts the
//!   items delivered, every page cursor resumes;
//! - errors carry a stable code, a non-empty message and remediation, and no secret;
//! - requests go only to the tenant's origin (Autotask: autotask.net hosts) over https,
//!   and `Wait` always lies in the future;
//! - an unknown request id is refused with an error and changes nothing.
//!
//! Run: `cargo test -p mspkit-core --test no_panic` (about 7 s in debug on two cores).
//! Bugs these properties found are pinned at the end as plain regression tests.

use std::collections::{BTreeMap, VecDeque};

use base64::Engine as _;
use mspkit_core::{
    Action, AutotaskPaging, Client, ClientOptions, Error, ErrorCode, Event, Filter, JobId,
    ListOptions, Method, Request, RequestId, TransportErrorKind, Vsa9Auth,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};
use url::Url;

// ---------------------------------------------------------------------------------------
// Clients under test

const VSAX_ID: &str = "vsax-token-id";
const VSAX_SECRET: &str = "vsax-secret-Q7f3kP9x";
const VSA9_USER: &str = "alice";
const VSA9_PAT: &str = "pat-0f8fad5b-d9cb-469f";
const VSA9_PASSWORD: &str = "pw-Hunter2-Tr0ub4dor";
const DW_TOKEN: &str = "dw-token-9b2e61c4-5d7a";
const AT_USER: &str = "sync.api@acme.example";
const AT_SECRET: &str = "at-secret-Xy7kP2wQ9m";
const AT_CODE: &str = "ATCODE-ACMESYNC2FQXK7";
/// The session token the well-behaved VSA 9 server hands out.
const SESSION_TOKEN: &str = "session-tok-8c1f2a9e77";
const ZONE_URL: &str = "https://webservices15.autotask.net/ATServicesRest/";

/// Stable codes of the contract (DESIGN.md).
const STABLE_CODES: [&str; 10] = [
    "invalid_config",
    "unauthorized",
    "forbidden",
    "not_found",
    "rate_limited",
    "server_error",
    "bad_response",
    "transport",
    "unsafe_link",
    "budget_exhausted",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Vsax,
    Vsa9Pat,
    Vsa9Password,
    Warehouse,
    /// Autotask without a zone: the first request is zone discovery.
    AutotaskDiscover,
    /// Autotask with a configured zone.
    AutotaskZone,
    /// Autotask with keyset paging.
    AutotaskKeyset,
}

const SETUPS: [Setup; 7] = [
    Setup::Vsax,
    Setup::Vsa9Pat,
    Setup::Vsa9Password,
    Setup::Warehouse,
    Setup::AutotaskDiscover,
    Setup::AutotaskZone,
    Setup::AutotaskKeyset,
];

fn basic(user: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
}

impl Setup {
    fn client(self) -> Client {
        let options = ClientOptions {
            jitter_seed: 7,
            ..ClientOptions::default()
        };
        let client = match self {
            Setup::Vsax => Client::vsax("acme.vsax.net", VSAX_ID, VSAX_SECRET, options),
            Setup::Vsa9Pat => Client::vsa9(
                "vsa.example.com",
                VSA9_USER,
                VSA9_PAT,
                Vsa9Auth::Pat,
                options,
            ),
            Setup::Vsa9Password => Client::vsa9(
                "vsa.example.com",
                VSA9_USER,
                VSA9_PASSWORD,
                Vsa9Auth::Password { nonce: 12345678 },
                options,
            ),
            Setup::Warehouse => {
                Client::vsa9_warehouse("vsa.example.com", VSA9_USER, DW_TOKEN, options)
            }
            Setup::AutotaskDiscover => {
                Client::autotask(AT_USER, AT_SECRET, AT_CODE, None, None, options)
            }
            Setup::AutotaskZone => Client::autotask(
                AT_USER,
                AT_SECRET,
                AT_CODE,
                Some("webservices15.autotask.net"),
                Some(29_682_885),
                options,
            ),
            Setup::AutotaskKeyset => Client::autotask(
                AT_USER,
                AT_SECRET,
                AT_CODE,
                None,
                None,
                ClientOptions {
                    autotask_paging: AutotaskPaging::Keyset,
                    ..options
                },
            ),
        };
        client.expect("the fixed test configuration is valid")
    }

    fn resource(self) -> &'static str {
        match self {
            Setup::Vsax => "devices",
            Setup::Vsa9Pat | Setup::Vsa9Password => "assetmgmt/agents",
            Setup::Warehouse => "Agents",
            _ => "Companies",
        }
    }

    fn is_vsa9(self) -> bool {
        matches!(self, Setup::Vsa9Pat | Setup::Vsa9Password)
    }

    /// Values that must never appear in an error.
    fn secrets(self) -> Vec<String> {
        match self {
            Setup::Vsax => vec![VSAX_SECRET.into(), basic(VSAX_ID, VSAX_SECRET)],
            Setup::Vsa9Pat => vec![VSA9_PAT.into(), basic(VSA9_USER, VSA9_PAT)],
            Setup::Vsa9Password => vec![VSA9_PASSWORD.into()],
            Setup::Warehouse => vec![DW_TOKEN.into(), basic(VSA9_USER, DW_TOKEN)],
            _ => vec![AT_SECRET.into(), AT_CODE.into()],
        }
    }

    /// The host, path prefix and scheme every request must have.
    fn check_destination(self, request: &Request) {
        let url = Url::parse(&request.url)
            .unwrap_or_else(|e| panic!("request URL {:?} does not parse: {e}", request.url));
        assert_eq!(url.scheme(), "https", "{}", request.url);
        assert!(
            url.username().is_empty() && url.password().is_none() && url.fragment().is_none(),
            "{}",
            request.url
        );
        let host = url.host_str().unwrap_or_default();
        let path = url.path();
        let (want_host, want_path) = match self {
            Setup::Vsax => ("acme.vsax.net", "/api/v3/"),
            Setup::Vsa9Pat | Setup::Vsa9Password => ("vsa.example.com", "/api/v1.0/"),
            Setup::Warehouse => ("vsa.example.com", "/api/odata/1.0/"),
            _ => {
                let autotask_host = host == "autotask.net"
                    || (host.ends_with(".autotask.net") && !host.split('.').any(str::is_empty));
                assert!(
                    autotask_host,
                    "request to a non-Autotask host: {}",
                    request.url
                );
                if path.ends_with("/zoneInformation") {
                    assert_eq!(request.method, Method::Get);
                    assert!(
                        request.header("Secret").is_none(),
                        "zone discovery carries no secret"
                    );
                } else {
                    assert!(path.contains("/ATServicesRest/V1.0/"), "{}", request.url);
                    assert_eq!(request.header("Secret"), Some(AT_SECRET));
                }
                return;
            }
        };
        assert_eq!(host, want_host, "{}", request.url);
        assert!(
            path.starts_with(want_path) && !path.contains("/../"),
            "{}",
            request.url
        );
    }
}

// ---------------------------------------------------------------------------------------
// A well-behaved server, to put the client in a given state before the noise starts

#[derive(Debug, Clone)]
enum Reply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Transport {
        kind: TransportErrorKind,
        message: String,
    },
}

impl Reply {
    fn json(body: Value) -> Reply {
        Reply::Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// What ends any job: a non-retryable 404.
    fn closing() -> Reply {
        Reply::Response {
            status: 404,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// The `n`th answer of a well-behaved server of `setup` to `request`.
fn valid_reply(setup: Setup, request: &Request, n: usize) -> Reply {
    let url = Url::parse(&request.url).expect("checked before");
    let path = url.path().to_string();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let top = param("$top").unwrap_or(100).min(100);
    let items = |count: usize| -> Vec<Value> {
        (0..count)
            .map(|i| json!({"id": n * 1000 + i + 1, "Id": n * 1000 + i + 1, "Name": format!("item {n}/{i}")}))
            .collect()
    };
    match setup {
        Setup::Vsax => Reply::json(json!({
            "Data": items(top),
            "Meta": {"ResponseCode": 200, "TotalCount": 1000}
        })),
        Setup::Vsa9Pat | Setup::Vsa9Password if path.ends_with("/auth") => Reply::json(json!({
            "Result": {"TenantId": "1", "Token": SESSION_TOKEN, "UserName": VSA9_USER,
                       "SessionExpiration": "2099-01-01T00:00:00Z", "OffSetInMinutes": 0},
            "ResponseCode": 0, "Status": "OK", "Error": "None"
        })),
        Setup::Vsa9Pat | Setup::Vsa9Password => Reply::json(json!({
            "TotalRecords": 1000, "Result": items(top), "ResponseCode": 0, "Status": "OK", "Error": "None"
        })),
        Setup::Warehouse => Reply::json(json!({
            "@odata.context": "https://vsa.example.com/api/odata/1.0/$metadata#Agents",
            "value": items(2),
            "@odata.nextLink": format!("https://vsa.example.com/api/odata/1.0/Agents?$skiptoken={}", n + 1)
        })),
        _ if path.ends_with("/zoneInformation") => Reply::json(json!({
            "zoneName": "America West 2", "url": ZONE_URL, "webUrl": "https://ww15.autotask.net/", "ci": 1
        })),
        _ if path.ends_with("/query/count") => Reply::json(json!({"queryCount": 7})),
        _ => {
            let max = request
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .and_then(|b| b["maxRecords"].as_u64())
                .unwrap_or(500)
                .min(5) as usize;
            Reply::json(json!({
                "items": items(max),
                "pageDetails": {"count": max, "requestCount": max, "prevPageUrl": null,
                    "nextPageUrl": format!("{ZONE_URL}V1.0/Companies/query/next?paging=%7B%22n%22%3A{}%7D", n + 1)}
            }))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Noise

const INTERESTING_STATUSES: &[u16] = &[200, 204, 301, 401, 403, 404, 429, 500, 502, 503];

const KEYS: &[&str] = &[
    "Data",
    "Meta",
    "TotalCount",
    "NextQueryLink",
    "ResponseCode",
    "Result",
    "TotalRecords",
    "Token",
    "SessionExpiration",
    "OffSetInMinutes",
    "value",
    "@odata.nextLink",
    "@odata.count",
    "items",
    "pageDetails",
    "nextPageUrl",
    "queryCount",
    "url",
    "errors",
    "ErrorMessage",
    "Error",
    "Message",
    "error",
    "message",
    "id",
    "Id",
    "Name",
    "data",
    "VALUE",
    "",
];

const LINKS: &[&str] = &[
    "https://acme.vsax.net/api/v3/devices?$top=2&$skip=4",
    "https://acme.vsax.net/api/v3/devices?$top=2&$skip=4#frag",
    "https://user:pw@acme.vsax.net/api/v3/devices",
    "http://acme.vsax.net/api/v3/devices?$skip=2",
    "https://acme.vsax.net:444/api/v3/devices",
    "https://acme.vsax.net/other/devices",
    "https://acme.vsax.net/api/v3/devices/../../../x",
    "HTTPS://ACME.VSAX.NET/api/v3/devices?$skip=1",
    "https://evil.example.com/api/v3/devices",
    "//evil.example.com/api/v3/devices",
    "/api/v3/devices?$skip=9",
    "devices?$skip=3",
    "?$skip=2",
    "../../../etc/passwd",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "mailto:x@y",
    "https://vsa.example.com/api/odata/1.0/Agents?$skiptoken=5",
    "https://vsa.example.com/api/odata/1.0/Agents",
    "https://vsa.example.com/api/v1.0/assetmgmt/agents?$skip=1",
    "https://vsa.example.com.evil.com/api/odata/1.0/Agents",
    "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging=%7B%7D",
    "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging={\"nextIds\":[1]}&search={}",
    "https://webservices15.autotask.net/ATServicesRest/",
    "https://webservices2.autotask.net",
    "https://webservices15.autotask.net/ATServicesRest/V2.0/",
    "https://evilautotask.net/ATServicesRest/",
    "https://autotask.net.evil.com/ATServicesRest/",
    "http://webservices15.autotask.net/ATServicesRest/",
    "https://127.0.0.1/ATServicesRest/",
    "https://[::1]/api/v3/devices",
    "https://a..autotask.net/ATServicesRest/",
    "https://",
    "https:",
    "",
    "   ",
    "https://xn--80ak6aa92e.com/",
    "https://acme.vsax.net/api/v3/devices?$skip=1\r\nX-Injected: 1",
];

const DATES: &[&str] = &[
    "2026-11-22T12:30:00Z",
    "2026-11-22T12:30:00",
    "2026-11-22T12:30:00.123+01:00",
    "2020-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-02-30T25:61:61Z",
    "2026-11-22T12:30:00+99:99",
    "2026-11-22",
    "not a date",
];

const NUMERIC_STRINGS: &[&str] = &[
    "42",
    " 7 ",
    "-1",
    "0",
    "99999999999999999999999",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "1e3",
    "0x10",
    "3.5",
    "NaN",
    "",
];

const TEXTS: &[&str] = &[
    "None",
    "OK",
    "Error",
    "ü",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u{202e}reversed",
    "nul\u{0}byte",
    "line\r\nbreak",
    "Zone information could not be determined",
    "IntegrationCode is invalid.",
    "The Autotask API thread threshold of 3 threads has been exceeded",
    "User does not have the adequate permissions to query this entity.",
    "Entity is not found.",
    "Session has expired",
    "<html><title>502 Bad Gateway</title></html>",
    VSAX_SECRET,
    VSA9_PAT,
    VSA9_PASSWORD,
    DW_TOKEN,
    AT_SECRET,
    AT_CODE,
    SESSION_TOKEN,
    "Basic dnNheC10b2tlbi1pZDp2c2F4LXNlY3JldC1RN2Yza1A5eA==",
];

const RAW_BODIES: &[&str] = &[
    "",
    "   \n",
    "\u{feff}",
    "\u{feff}{}",
    "null",
    "[]",
    "{}",
    "true",
    "\"text\"",
    "{\"Data\":",
    "{\"value\":[",
    "<",
    "<title",
    "<title>",
    "<html><head><title>503 Service Unavailable</title></head><body>busy</body></html>",
    "<!DOCTYPE html><html><title></title></html>",
    "Bad Gateway",
    "{\"a\":1}{\"b\":2}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

const HEADER_NAMES: &[&str] = &[
    "Retry-After",
    "retry-after",
    "Date",
    "Content-Type",
    "Location",
    "X-RateLimit-Remaining",
];

const HEADER_VALUES: &[&str] = &[
    "0",
    "1",
    "120",
    "-5",
    "99999999999999999999",
    "1.5",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "application/json",
    "text/html",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (-5i64..2000).prop_map(Value::from),
        1 => select(&[i64::MIN, -1, i64::MAX][..]).prop_map(Value::from),
        1 => select(&[u64::MAX, 1 << 53, (1 << 53) + 1, 9_000_000_000_000_000][..]).prop_map(Value::from),
        1 => select(&[0.5, -0.0, 1e300, -1e300, 2.0, 1e15, 9.5e15, 4294967296.0][..]).prop_map(|f| json!(f)),
        1 => select(NUMERIC_STRINGS).prop_map(Value::from),
        2 => select(LINKS).prop_map(Value::from),
        1 => select(DATES).prop_map(Value::from),
        2 => select(TEXTS).prop_map(Value::from),
        1 => (0usize..1200, select(TEXTS)).prop_map(|(n, t)| Value::from(format!("{}{t}", "é".repeat(n)))),
        1 => any::<String>().prop_map(Value::from),
    ]
}

fn object(pairs: Vec<(&'static str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<_, _>>(),
    )
}

/// Any JSON value built from the envelope keys and the noise leaves.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((select(KEYS), inner), 0..5).prop_map(object),
        ]
    })
}

/// A field of a vendor envelope: usually plausible, sometimes anything.
fn field(plausible: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        3 => plausible.prop_map(Some),
        2 => leaf().prop_map(Some),
    ]
    .boxed()
}

fn items() -> impl Strategy<Value = Value> {
    let item = prop_oneof![
        4 => (field((0i64..5000).prop_map(Value::from)), field(select(TEXTS).prop_map(Value::from)))
            .prop_map(|(id, name)| {
                let mut m = Map::new();
                if let Some(id) = id {
                    m.insert("id".into(), id.clone());
                    m.insert("Id".into(), id);
                }
                if let Some(name) = name {
                    m.insert("Name".into(), name);
                }
                Value::Object(m)
            }),
        1 => json_value(),
    ];
    prop_oneof![
        6 => prop::collection::vec(item, 0..6).prop_map(Value::Array),
        1 => leaf(),
    ]
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v);
    }
}

/// A next-page link: one the setup's server could send (same origin, fresh), or any.
fn link(setup: Setup) -> BoxedStrategy<Option<Value>> {
    let good = (0u32..1000).prop_map(move |n| {
        Value::from(match setup {
            Setup::Vsax => format!("https://acme.vsax.net/api/v3/devices?$top=2&$skip={n}"),
            Setup::Vsa9Pat | Setup::Vsa9Password => format!("/api/v1.0/assetmgmt/agents?$skip={n}"),
            Setup::Warehouse => {
                format!("https://vsa.example.com/api/odata/1.0/Agents?$skiptoken={n}")
            }
            _ => format!("{ZONE_URL}V1.0/Companies/query/next?paging=%7B%22n%22%3A{n}%7D"),
        })
    });
    field(prop_oneof![2 => good, 1 => select(LINKS).prop_map(Value::from)])
}

fn code() -> BoxedStrategy<Option<Value>> {
    field(select(&[0u64, 200, 401, 404, 17, 500][..]).prop_map(Value::from))
}

fn count() -> BoxedStrategy<Option<Value>> {
    field(prop_oneof![
        (0u64..20).prop_map(Value::from),
        (0u64..2000).prop_map(Value::from)
    ])
}

fn vsax_list(setup: Setup) -> impl Strategy<Value = Value> {
    (items(), code(), count(), link(setup)).prop_map(|(data, rc, total, next)| {
        let mut meta = Map::new();
        put(&mut meta, "ResponseCode", rc);
        put(&mut meta, "TotalCount", total);
        put(&mut meta, "NextQueryLink", next);
        json!({"Data": data, "Meta": meta})
    })
}

fn vsa9_list() -> impl Strategy<Value = Value> {
    (items(), code(), count()).prop_map(|(result, rc, total)| {
        let mut m = Map::new();
        put(&mut m, "ResponseCode", rc);
        put(&mut m, "TotalRecords", total);
        m.insert("Result".into(), result);
        m.insert("Error".into(), "None".into());
        Value::Object(m)
    })
}

fn vsa9_session() -> impl Strategy<Value = Value> {
    (
        field(select(TEXTS).prop_map(Value::from)),
        field(select(DATES).prop_map(Value::from)),
        field((-1500i64..1500).prop_map(Value::from)),
        code(),
    )
        .prop_map(|(token, exp, off, rc)| {
            let mut result = Map::new();
            put(&mut result, "Token", token);
            put(&mut result, "SessionExpiration", exp);
            put(&mut result, "OffSetInMinutes", off);
            let mut m = Map::new();
            put(&mut m, "ResponseCode", rc);
            m.insert("Result".into(), Value::Object(result));
            Value::Object(m)
        })
}

fn odata_list(setup: Setup) -> impl Strategy<Value = Value> {
    (items(), link(setup), count()).prop_map(|(value, next, total)| {
        let mut m = Map::new();
        m.insert("value".into(), value);
        put(&mut m, "@odata.nextLink", next);
        put(&mut m, "@odata.count", total);
        Value::Object(m)
    })
}

fn autotask_list(setup: Setup) -> impl Strategy<Value = Value> {
    (items(), link(setup), count()).prop_map(|(items, next, count)| {
        let mut details = Map::new();
        put(&mut details, "nextPageUrl", next);
        put(&mut details, "count", count);
        json!({"items": items, "pageDetails": details})
    })
}

fn autotask_count() -> impl Strategy<Value = Value> {
    count().prop_map(|c| {
        let mut m = Map::new();
        put(&mut m, "queryCount", c);
        Value::Object(m)
    })
}

fn autotask_zone() -> impl Strategy<Value = Value> {
    field(select(LINKS).prop_map(Value::from)).prop_map(|url| {
        let mut m = Map::new();
        put(&mut m, "url", url);
        m.insert("zoneName".into(), "America West".into());
        Value::Object(m)
    })
}

/// Vendor-shaped envelopes whose fields are each plausible, wrong-typed or missing: mostly
/// the setup's own, sometimes another vendor's.
fn shaped(setup: Setup) -> BoxedStrategy<Value> {
    let any_vendor = prop_oneof![
        vsax_list(Setup::Vsax),
        vsa9_list(),
        vsa9_session(),
        odata_list(Setup::Warehouse),
        autotask_list(Setup::AutotaskZone),
        autotask_count(),
        autotask_zone(),
        json_value().prop_map(|e| json!({"errors": e})),
    ];
    match setup {
        Setup::Vsax => prop_oneof![4 => vsax_list(setup), 1 => any_vendor].boxed(),
        Setup::Vsa9Pat | Setup::Vsa9Password => {
            prop_oneof![3 => vsa9_list(), 2 => vsa9_session(), 1 => any_vendor].boxed()
        }
        Setup::Warehouse => prop_oneof![4 => odata_list(setup), 1 => any_vendor].boxed(),
        _ => prop_oneof![
            3 => autotask_list(setup),
            1 => autotask_count(),
            1 => autotask_zone(),
            1 => any_vendor
        ]
        .boxed(),
    }
}

/// Structured noise: JSON from the envelope keys, sometimes pretty, sometimes truncated.
fn structured_body(setup: Setup) -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        5 => shaped(setup),
        2 => prop::collection::vec((select(KEYS), json_value()), 0..6).prop_map(object),
        1 => json_value(),
    ];
    let cut = prop_oneof![4 => Just(None), 1 => any::<Index>().prop_map(Some)];
    (value, cut, any::<bool>()).prop_map(|(value, cut, pretty)| {
        let mut bytes = if pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        }
        .unwrap_or_default();
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        bytes
    })
}

/// A response body: pure random bytes, odd canned bodies, or structured noise.
fn body(setup: Setup) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..96),
        1 => select(RAW_BODIES).prop_map(|b| b.as_bytes().to_vec()),
        7 => structured_body(setup),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(200),
        3 => select(INTERESTING_STATUSES),
        1 => 0u16..=999,
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = prop_oneof![
        3 => select(HEADER_VALUES).prop_map(String::from),
        1 => any::<String>(),
    ];
    prop::collection::vec((select(HEADER_NAMES).prop_map(String::from), value), 0..3)
}

fn transport_kind() -> impl Strategy<Value = TransportErrorKind> {
    select(
        &[
            TransportErrorKind::Timeout,
            TransportErrorKind::Connect,
            TransportErrorKind::Other,
        ][..],
    )
}

fn transport_message() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        select(TEXTS).prop_map(String::from),
        (0usize..3000).prop_map(|n| "x".repeat(n)),
        Just(format!(
            "connection reset; Authorization: Basic {}",
            basic(VSAX_ID, VSAX_SECRET)
        )),
    ]
}

fn reply(setup: Setup) -> impl Strategy<Value = Reply> {
    prop_oneof![
        9 => (status(), headers(), body(setup))
            .prop_map(|(status, headers, body)| Reply::Response { status, headers, body }),
        1 => (transport_kind(), transport_message())
            .prop_map(|(kind, message)| Reply::Transport { kind, message }),
    ]
}

/// How far the host clock moves between two answers; sometimes backwards.
fn clock_step() -> impl Strategy<Value = i64> {
    select(
        &[
            0i64, 1, 250, 1_000, 61_000, 1_800_000, 7_200_000, -1, -60_000,
        ][..],
    )
}

/// The host clock at the first poll: a plausible Unix time, or an absurd one (the i64
/// boundary, the end of u64).
fn start_ms() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 1_600_000_000_000u64..1_900_000_000_000,
        1 => Just(0u64),
        1 => Just(i64::MAX as u64),
        1 => Just(u64::MAX - 10_000_000),
    ]
}

// ---------------------------------------------------------------------------------------
// The drive loop and its invariants

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jobs {
    Connection,
    List,
    Both,
}

#[derive(Debug, Clone)]
struct Script {
    setup: Setup,
    jobs: Jobs,
    page_size: Option<u32>,
    /// Requests answered by the well-behaved server before the noise.
    valid_prefix: usize,
    noise: Vec<Reply>,
    start_ms: u64,
    clock_steps: Vec<i64>,
}

fn script() -> impl Strategy<Value = Script> {
    select(&SETUPS[..])
        .prop_flat_map(|setup| {
            (
                Just(setup),
                select(&[Jobs::Connection, Jobs::List, Jobs::List, Jobs::Both][..]),
                select(&[Some(2u32), Some(2), Some(1), None][..]),
                0usize..5,
                prop::collection::vec(reply(setup), 0..10),
                start_ms(),
                prop::collection::vec(clock_step(), 1..6),
            )
        })
        .prop_map(
            |(setup, jobs, page_size, valid_prefix, noise, start_ms, clock_steps)| Script {
                setup,
                jobs,
                page_size,
                valid_prefix,
                noise,
                start_ms,
                clock_steps,
            },
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connection,
    /// A list; the page number of the first page it should deliver.
    List {
        first_page: u64,
    },
}

/// Checks the event stream job by job.
struct Tracker {
    setup: Setup,
    /// The list's resource and options, to check that every page cursor resumes it.
    resource: String,
    options: ListOptions,
    started: BTreeMap<JobId, Kind>,
    /// Last page number and items so far, per list job.
    pages: BTreeMap<JobId, (Option<u32>, u64)>,
    ended: BTreeMap<JobId, &'static str>,
    /// The well-behaved VSA 9 server handed out its session token.
    session_known: bool,
}

impl Tracker {
    fn new(setup: Setup, options: &ListOptions) -> Self {
        Tracker {
            setup,
            resource: setup.resource().to_string(),
            options: options.clone(),
            started: BTreeMap::new(),
            pages: BTreeMap::new(),
            ended: BTreeMap::new(),
            session_known: false,
        }
    }

    fn start(&mut self, job: JobId, kind: Kind) {
        assert!(
            self.started.insert(job, kind).is_none(),
            "job id {job} reused"
        );
    }

    fn check_error(&self, error: &Error) {
        assert!(
            !error.message().trim().is_empty(),
            "empty message: {error:?}"
        );
        assert!(
            !error.remediation().trim().is_empty(),
            "empty remediation: {error:?}"
        );
        assert!(STABLE_CODES.contains(&error.code().as_str()));
        // Server text is cut (vendor_message to 500 chars); only the caller's own resource
        // name may make a message long.
        let limit = 600 + self.resource.chars().count();
        let length = error.message().chars().count();
        assert!(length <= limit, "message of {length} chars: {error:?}");
        let shown = format!("{error} {error:?}");
        let mut secrets = self.setup.secrets();
        if self.session_known {
            secrets.push(SESSION_TOKEN.into());
        }
        for secret in secrets {
            assert!(
                !shown.contains(&secret),
                "secret {secret:?} in error: {shown}"
            );
        }
    }

    fn on_event(&mut self, event: &Event) {
        let job = event.job();
        let Some(&kind) = self.started.get(&job) else {
            panic!("event for a job never started: {event:?}")
        };
        if let Some(end) = self.ended.get(&job) {
            panic!("event after the job ended with {end}: {event:?}");
        }
        match (event, kind) {
            (Event::Page(page), Kind::List { first_page }) => {
                let (last, items) = self.pages.entry(job).or_insert((None, 0));
                let expected = match last {
                    Some(n) => u64::from(*n) + 1,
                    None => first_page,
                };
                assert_eq!(
                    u64::from(page.page_number),
                    expected,
                    "page numbers of job {job}"
                );
                *last = Some(page.page_number);
                *items += page.items.len() as u64;
                assert!(!page.cursor.is_empty());
                // Every cursor resumes the same list in a new client.
                let options = ListOptions {
                    cursor: Some(page.cursor.clone()),
                    ..self.options.clone()
                };
                if let Err(e) = self.setup.client().start_list(&self.resource, &options) {
                    panic!(
                        "the cursor of page {} does not resume: {e}",
                        page.page_number
                    );
                }
            }
            (Event::Done { items, .. }, Kind::List { .. }) => {
                let delivered = self.pages.get(&job).map_or(0, |p| p.1);
                assert_eq!(*items, delivered, "Done counts the items delivered");
                self.ended.insert(job, "done");
            }
            (Event::Failed { error, .. }, Kind::List { .. }) => {
                self.check_error(error);
                self.ended.insert(job, "failed");
            }
            (Event::Connection { report, .. }, Kind::Connection) => {
                assert!(!report.message.trim().is_empty());
                assert_eq!(report.ok, report.error.is_none(), "{report:?}");
                if let Some(error) = &report.error {
                    self.check_error(error);
                    for secret in self.setup.secrets() {
                        assert!(!report.message.contains(&secret));
                    }
                } else {
                    assert!(report.requests_made >= 1);
                }
                self.ended.insert(job, "connection");
            }
            (event, kind) => panic!("{} event for a {kind:?} job", event.kind()),
        }
    }

    fn finish(&self) {
        for (job, kind) in &self.started {
            assert!(
                self.ended.contains_key(job),
                "{kind:?} job {job} never ended"
            );
        }
    }
}

/// Bogus-id probing done on every answer (see `unknown_request_ids_change_nothing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    None,
    UnknownIds(u32),
}

const MAX_STEPS: usize = 400;

struct Run {
    events: Vec<Event>,
    requests: Vec<(Method, String, Option<String>)>,
}

/// Polls `client` to completion, answering from `script`, checking every action.
fn drive(client: &mut Client, tracker: &mut Tracker, script: &Script, probe: Probe) -> Run {
    let setup = script.setup;
    let mut now = script.start_ms;
    let mut outstanding: VecDeque<Request> = VecDeque::new();
    let mut answered = 0usize;
    let mut run = Run {
        events: Vec::new(),
        requests: Vec::new(),
    };
    for _ in 0..MAX_STEPS {
        let action = client.poll(now);
        let request = match action {
            Some(Action::Send(request)) => {
                setup.check_destination(&request);
                for (name, value) in &request.headers {
                    assert!(!name.is_empty());
                    assert!(
                        !value.chars().any(char::is_control),
                        "header {name} carries a control character"
                    );
                }
                if request.method == Method::Post {
                    let body = request.body.as_deref().expect("POST has a body");
                    assert!(serde_json::from_str::<Value>(body).is_ok(), "{body}");
                }
                assert!(
                    outstanding.iter().all(|r| r.id != request.id),
                    "request id {} reused while in flight",
                    request.id
                );
                run.requests
                    .push((request.method, request.url.clone(), request.body.clone()));
                outstanding.push_back(request);
                continue;
            }
            Some(Action::Event(event)) => {
                tracker.on_event(&event);
                run.events.push(event);
                continue;
            }
            Some(Action::Wait { until_ms }) => match outstanding.pop_front() {
                Some(request) => request,
                None => {
                    assert!(
                        until_ms > now,
                        "Wait until {until_ms} is not after now {now}"
                    );
                    now = until_ms;
                    continue;
                }
            },
            None => match outstanding.pop_front() {
                Some(request) => request,
                None => {
                    assert!(
                        client.is_idle(),
                        "poll returned None with nothing in flight, but jobs remain"
                    );
                    tracker.finish();
                    return run;
                }
            },
        };

        if let Probe::UnknownIds(salt) = probe {
            let bogus = bogus_id(&outstanding, &request, salt);
            let e = client
                .handle_response(bogus, 200, &[], b"{}", now)
                .expect_err("an unknown request id is refused");
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(!e.message().is_empty() && !e.remediation().is_empty());
            let e = client
                .handle_transport_error(bogus, TransportErrorKind::Other, "x", now)
                .expect_err("an unknown request id is refused");
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
        }

        let reply = if answered < script.valid_prefix {
            if setup.is_vsa9() && request.url.ends_with("/auth") {
                tracker.session_known = true;
            }
            valid_reply(setup, &request, answered)
        } else {
            script
                .noise
                .get(answered - script.valid_prefix)
                .cloned()
                .unwrap_or_else(Reply::closing)
        };
        let step = script.clock_steps[answered % script.clock_steps.len()];
        now = if step >= 0 {
            now.saturating_add(step as u64)
        } else {
            now.saturating_sub(step.unsigned_abs())
        };
        answered += 1;
        let result = match reply {
            Reply::Response {
                status,
                headers,
                body,
            } => client.handle_response(request.id, status, &headers, &body, now),
            Reply::Transport { kind, message } => {
                client.handle_transport_error(request.id, kind, &message, now)
            }
        };
        if let Err(e) = result {
            panic!(
                "the answer to in-flight request {} was refused: {e}",
                request.id
            );
        }
        if probe != Probe::None {
            // A second answer to the same request is a host bug: refused, no effect.
            let e = client
                .handle_response(request.id, 200, &[], b"{}", now)
                .expect_err("a request answered twice is refused");
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
        }
    }
    panic!("the client did not finish within {MAX_STEPS} steps")
}

fn bogus_id(outstanding: &VecDeque<Request>, current: &Request, salt: u32) -> RequestId {
    let mut id = salt;
    while id == current.id || outstanding.iter().any(|r| r.id == id) {
        id = id.wrapping_add(1);
    }
    id
}

/// Starts the script's jobs: a connection test, a list, or both at once.
fn start_jobs(client: &mut Client, tracker: &mut Tracker, script: &Script, options: &ListOptions) {
    if matches!(script.jobs, Jobs::Connection | Jobs::Both) {
        let job = client.start_test_connection();
        tracker.start(job, Kind::Connection);
    }
    if matches!(script.jobs, Jobs::List | Jobs::Both) {
        let job = client
            .start_list(script.setup.resource(), options)
            .expect("valid list options");
        tracker.start(job, Kind::List { first_page: 1 });
    }
}

fn run_script(script: &Script, probe: Probe) -> Run {
    let mut client = script.setup.client();
    let options = ListOptions {
        page_size: script.page_size,
        ..ListOptions::default()
    };
    let mut tracker = Tracker::new(script.setup, &options);
    start_jobs(&mut client, &mut tracker, script, &options);
    drive(&mut client, &mut tracker, script, probe)
}

/// Cases of the main property; the others are set per block. The whole file runs in
/// about 7 s in debug on two cores.
const MAIN_CASES: u32 = 4000;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(MAIN_CASES))]

    /// Every in-flight kind (logon, zone discovery, connection test, first and later
    /// pages) answered with noise, then everything after it too.
    #[test]
    fn any_response_sequence_ends_every_job_once(script in script()) {
        run_script(&script, Probe::None);
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// Answers for unknown ids (and second answers) are refused and change nothing: the
    /// run is identical to one without them.
    #[test]
    fn unknown_request_ids_change_nothing(script in script(), salt in any::<u32>()) {
        let plain = run_script(&script, Probe::None);
        let probed = run_script(&script, Probe::UnknownIds(salt));
        prop_assert_eq!(plain.requests, probed.requests);
        prop_assert_eq!(plain.events, probed.events);
    }
}

// ---------------------------------------------------------------------------------------
// Constructors, list options, cursors, state

const URL_SCHEMES: &[&str] = &[
    "",
    "https://",
    "http://",
    "HTTPS://",
    "//",
    "ftp://",
    "javascript:",
    " ",
    "https:/",
    "https:///",
];
const URL_USERINFO: &[&str] = &["", "", "", "user:pw@", "token@", ":@"];
const URL_HOSTS: &[&str] = &[
    "acme.vsax.net",
    "ACME.VSAX.NET",
    "acme.vsa.kaseya.net",
    "vsa.example.com",
    "127.0.0.1",
    "127.8.9.10",
    "localhost",
    "[::1]",
    "webservices15.autotask.net",
    "autotask.net",
    "evilautotask.net",
    "autotask.net.evil.com",
    "xn--nxasmq6b.com",
    "ü.example",
    "a..b",
    "300.1.1.1",
    "",
    "%41cme.vsax.net",
];
const URL_PORTS: &[&str] = &["", "", ":443", ":0", ":65536", ":99999", ":8443", ":"];
const URL_PATHS: &[&str] = &[
    "",
    "/",
    "//",
    "/api/v3/",
    "/api/v3//",
    "//api//v3//",
    "/api",
    "/api/v1.0",
    "/api/odata/1.0/",
    "/ATServicesRest",
    "/ATServicesRest/V1.0/",
    "/ATServicesRest/V2.0",
    "/x/ATServicesRest/",
    "/x/../api",
    "/%2e%2e/",
    "/api/v3/devices",
    "/V1.0/zoneInformation",
];
const URL_TAILS: &[&str] = &["", "", "?", "?a=b", "#", "#frag", " ", "\n", "\t", "\u{0}"];

fn url_like() -> impl Strategy<Value = String> {
    (
        select(URL_SCHEMES),
        select(URL_USERINFO),
        select(URL_HOSTS),
        select(URL_PORTS),
        select(URL_PATHS),
        select(URL_TAILS),
    )
        .prop_map(|(a, b, c, d, e, f)| format!("{a}{b}{c}{d}{e}{f}"))
}

fn messy_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,24}",
        url_like(),
        select(TEXTS).prop_map(String::from),
        select(LINKS).prop_map(String::from),
        (0usize..70_000).prop_map(|n| "a".repeat(n)),
    ]
}

/// Marks generated secrets, so a check for them cannot match the fixed text of a message.
const MARKER: &str = "SeCrEtMaRk";

/// Credential arguments: anything, or anything marked as a secret.
fn secret_string() -> impl Strategy<Value = String> {
    prop_oneof![
        messy_string(),
        messy_string().prop_map(|s| format!("{MARKER}{s}")),
        messy_string().prop_map(|s| format!("{s}{MARKER}")),
    ]
}

/// A refusal: one of `codes`, with a message and remediation, quoting no marked secret.
fn check_config_error(error: &Error, codes: &[ErrorCode], secrets: &[&str]) {
    assert!(
        codes.contains(&error.code()),
        "unexpected code {:?}: {error}",
        error.code()
    );
    assert!(!error.message().trim().is_empty());
    assert!(!error.remediation().trim().is_empty());
    let shown = format!("{error} {error:?}");
    for secret in secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| s.contains(MARKER))
    {
        assert!(!shown.contains(secret), "secret {secret:?} in {shown}");
    }
}

/// A base URL a constructor accepted: https, or http on loopback when allowed.
fn check_base(base: Option<String>, loopback: bool, path: &str) {
    let base = base.expect("a VSA client always knows its base");
    let url = Url::parse(&base).expect("the base parses");
    match url.scheme() {
        "https" => {}
        "http" => assert!(
            loopback
                && matches!(url.host_str(), Some("localhost" | "[::1]"))
                    | url.host_str().is_some_and(|h| h.starts_with("127.")),
            "plain http to {base}"
        ),
        other => panic!("scheme {other} in {base}"),
    }
    assert!(url.username().is_empty() && url.password().is_none());
    assert!(url.query().is_none() && url.fragment().is_none());
    assert_eq!(url.path(), path);
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn vsax_constructor_takes_any_strings(
        url in messy_string(), id in messy_string(), secret in secret_string(), loopback in any::<bool>()
    ) {
        let options = ClientOptions { allow_insecure_loopback: loopback, ..ClientOptions::default() };
        match Client::vsax(&url, &id, &secret, options) {
            Ok(client) => check_base(client.base_url(), loopback, "/api/v3/"),
            Err(e) => {
                check_config_error(&e, &[ErrorCode::InvalidConfig], &[&secret]);
            }
        }
    }

    #[test]
    fn vsa9_constructors_take_any_strings(
        url in messy_string(), user in messy_string(), token in secret_string(),
        nonce in prop::option::of(any::<u64>()), warehouse in any::<bool>(), loopback in any::<bool>()
    ) {
        let options = ClientOptions { allow_insecure_loopback: loopback, ..ClientOptions::default() };
        let (result, path) = if warehouse {
            (Client::vsa9_warehouse(&url, &user, &token, options), "/api/odata/1.0/")
        } else {
            let auth = nonce.map_or(Vsa9Auth::Pat, |nonce| Vsa9Auth::Password { nonce });
            (Client::vsa9(&url, &user, &token, auth, options), "/api/v1.0/")
        };
        match result {
            Ok(client) => check_base(client.base_url(), loopback, path),
            Err(e) => {
                check_config_error(&e, &[ErrorCode::InvalidConfig], &[&token]);
            }
        }
    }

    #[test]
    fn autotask_constructor_takes_any_strings(
        user in messy_string(), secret in secret_string(), code in secret_string(),
        zone in prop::option::of(messy_string()), impersonate in prop::option::of(any::<u64>()),
        discovery in prop::option::of(messy_string()), loopback in any::<bool>()
    ) {
        let options = ClientOptions {
            allow_insecure_loopback: loopback,
            zone_discovery_url: discovery.clone(),
            ..ClientOptions::default()
        };
        match Client::autotask(&user, &secret, &code, zone.as_deref(), impersonate, options) {
            Ok(client) => {
                if let Some(base) = client.base_url() {
                    let url = Url::parse(&base).expect("the zone parses");
                    prop_assert!(url.path().ends_with("/ATServicesRest/V1.0/"), "{}", base);
                    prop_assert!(url.scheme() == "https" || loopback, "{}", base);
                }
            }
            Err(e) => {
                check_config_error(&e, &[ErrorCode::InvalidConfig], &[&secret, &code]);
            }
        }
    }

    #[test]
    fn transport_kind_parses_any_string(kind in messy_string()) {
        if let Err(e) = TransportErrorKind::parse(&kind) {
            check_config_error(&e, &[ErrorCode::InvalidConfig], &[]);
        }
    }
}

fn filter() -> impl Strategy<Value = Option<Filter>> {
    prop_oneof![
        1 => Just(None),
        2 => messy_string().prop_map(|s| Some(Filter::OData(s))),
        2 => json_value().prop_map(|v| Some(Filter::Autotask(v))),
        1 => json_value().prop_map(|v| Some(Filter::OData(v.to_string()))),
        1 => Just(Some(Filter::Autotask(json!([{"op": "eq", "field": "isActive", "value": true}])))),
        1 => Just(Some(Filter::OData("contains(tolower(Name), 'a&b=c+d #1')".into()))),
    ]
}

fn list_options() -> impl Strategy<Value = ListOptions> {
    (
        filter(),
        prop::option::of(messy_string()),
        prop::option::of(prop_oneof![any::<u32>(), 0u32..3, Just(u32::MAX)]),
        prop::option::of(prop::collection::vec(
            prop_oneof![messy_string(), "[a-zA-Z_]{1,8}"],
            0..4,
        )),
        prop::option::of(messy_string()),
    )
        .prop_map(
            |(filter, order_by, page_size, fields, cursor)| ListOptions {
                filter,
                order_by,
                page_size,
                fields,
                cursor,
            },
        )
}

fn resource() -> impl Strategy<Value = String> {
    prop_oneof![
        messy_string(),
        select(
            &[
                "devices",
                "system/orgs",
                "assetmgmt/agents",
                "Agents",
                "Companies",
                "../auth",
                "/devices/",
                "devices?$top=1",
                "devices#x",
                "a/./b",
                "https://evil.example.com/x",
                "%2e%2e",
                "",
            ][..]
        )
        .prop_map(String::from),
    ]
}

/// Drives a client whose jobs were started by the test, with a few good answers and then
/// 404s. Returns the events.
fn drive_started(
    client: &mut Client,
    tracker: &mut Tracker,
    setup: Setup,
    valid_prefix: usize,
) -> Run {
    let script = Script {
        setup,
        jobs: Jobs::List,
        page_size: None,
        valid_prefix,
        noise: Vec::new(),
        start_ms: 1_767_225_600_000,
        clock_steps: vec![250],
    };
    drive(client, tracker, &script, Probe::None)
}

proptest! {
    #![proptest_config(config(1500))]

    /// Any resource and options: refused up front as invalid_config, or run safely
    /// (the filter cannot move the request to another host or path).
    #[test]
    fn start_list_takes_any_options(
        setup in select(&SETUPS[..]), resource in resource(), options in list_options(), prefix in 0usize..3
    ) {
        let mut client = setup.client();
        let mut tracker = Tracker::new(setup, &options);
        match client.start_list(&resource, &options) {
            Ok(job) => {
                // Trust the cursor's page when it decoded; the tracker checks continuity.
                let first_page = options
                    .cursor
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<Value>(c.trim()).ok())
                    .and_then(|c| c["page"].as_u64())
                    .map_or(1, |p| p + 1);
                tracker.start(job, Kind::List { first_page });
                tracker.resource = resource.clone();
                drive_started(&mut client, &mut tracker, setup, prefix);
            }
            Err(e) => {
                check_config_error(&e, &[ErrorCode::InvalidConfig], &[]);
                prop_assert!(client.is_idle());
                prop_assert_eq!(client.poll(0), None);
            }
        }
    }
}

/// A real cursor of `setup`'s list after one good page (page size 2).
fn real_cursor(setup: Setup) -> String {
    let mut client = setup.client();
    let options = ListOptions {
        page_size: Some(2),
        ..ListOptions::default()
    };
    client
        .start_list(setup.resource(), &options)
        .expect("valid");
    let mut now = 1_767_225_600_000u64;
    let mut n = 0;
    while let Some(action) = client.poll(now) {
        match action {
            Action::Send(request) => {
                let Reply::Response {
                    status,
                    headers,
                    body,
                } = valid_reply(setup, &request, n)
                else {
                    unreachable!()
                };
                n += 1;
                now += 1;
                client
                    .handle_response(request.id, status, &headers, &body, now)
                    .expect("in flight");
            }
            Action::Event(Event::Page(page)) => return page.cursor,
            Action::Event(other) => panic!("no page: {other:?}"),
            Action::Wait { until_ms } => now = until_ms,
        }
    }
    panic!("no page")
}

fn cursor_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => leaf(),
        1 => select(&[u32::MAX as u64, u32::MAX as u64 - 1, u64::MAX, u64::MAX - 1][..]).prop_map(Value::from),
        1 => select(&[i64::MIN, i64::MAX, -1][..]).prop_map(Value::from),
        1 => json_value(),
    ]
}

proptest! {
    #![proptest_config(config(1500))]

    /// A real cursor with fields replaced by anything: refused as invalid_config or
    /// unsafe_link, or resumed with consecutive page numbers and requests that stay home.
    #[test]
    fn mutated_cursors_are_refused_or_resume_safely(
        setup in select(&SETUPS[..]),
        edits in prop::collection::vec(
            (select(&["page", "skip", "next", "after_id", "done", "v", "vendor", "resource", "query", "extra"][..]), cursor_value()),
            1..4,
        ),
        prefix in 0usize..4,
    ) {
        let mut cursor: Value = serde_json::from_str(&real_cursor(setup)).expect("cursors are JSON");
        for (key, value) in edits {
            cursor[key] = value;
        }
        let options = ListOptions {
            page_size: Some(2),
            cursor: Some(cursor.to_string()),
            ..ListOptions::default()
        };
        let mut client = setup.client();
        let mut tracker = Tracker::new(setup, &options);
        match client.start_list(setup.resource(), &options) {
            Ok(job) => {
                let first_page = cursor["page"].as_u64().unwrap_or(0) + 1;
                tracker.start(job, Kind::List { first_page });
                drive_started(&mut client, &mut tracker, setup, prefix);
            }
            Err(e) => check_config_error(&e, &[ErrorCode::InvalidConfig, ErrorCode::UnsafeLink], &[]),
        }
    }

    /// Any text, or real exported state with its zone replaced, is refused or imported
    /// without sending anything anywhere it must not go.
    #[test]
    fn import_state_takes_any_string(
        setup in select(&SETUPS[..]),
        text in prop_oneof![
            messy_string(),
            (prop_oneof![select(LINKS).prop_map(String::from), url_like(), any::<String>()])
                .prop_map(|zone| json!({"v": 1, "vendor": "autotask", "autotask_zone": zone}).to_string()),
            (select(&["vsax", "vsa9", "vsa9_warehouse", "autotask", "", "AUTOTASK"][..]), cursor_value())
                .prop_map(|(vendor, v)| json!({"v": v, "vendor": vendor}).to_string()),
        ],
        prefix in 0usize..4,
    ) {
        let mut client = setup.client();
        if let Err(e) = client.import_state(&text) {
            check_config_error(&e, &[ErrorCode::InvalidConfig, ErrorCode::UnsafeLink], &[]);
        }
        // Whatever was imported, the client still works and stays on safe hosts.
        let options = ListOptions { page_size: Some(2), ..ListOptions::default() };
        let mut tracker = Tracker::new(setup, &options);
        let job = client.start_list(setup.resource(), &options).expect("valid");
        tracker.start(job, Kind::List { first_page: 1 });
        drive_started(&mut client, &mut tracker, setup, prefix);
        // Exported state never carries a secret.
        let exported = client.export_state();
        for secret in setup.secrets() {
            prop_assert!(!exported.contains(&secret));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bugs the properties above found (all fixed since), pinned as plain regression tests

/// Drives `setup`'s list from `cursor` with the well-behaved server; returns the events.
fn resume_with(setup: Setup, cursor: &Value) -> Result<Vec<Event>, Error> {
    let options = ListOptions {
        page_size: Some(2),
        cursor: Some(cursor.to_string()),
        ..ListOptions::default()
    };
    let mut client = setup.client();
    let mut tracker = Tracker::new(setup, &options);
    let job = client.start_list(setup.resource(), &options)?;
    tracker.start(
        job,
        Kind::List {
            first_page: cursor["page"].as_u64().unwrap_or(0) + 1,
        },
    );
    Ok(drive_started(&mut client, &mut tracker, setup, 3).events)
}

/// Was: `"page":4294967295` in a cursor panicked (add with overflow) on the next page.
#[test]
fn a_cursor_at_the_last_page_number_does_not_overflow() {
    for setup in SETUPS {
        let mut cursor: Value = serde_json::from_str(&real_cursor(setup)).expect("JSON");
        cursor["page"] = json!(u32::MAX);
        match resume_with(setup, &cursor) {
            Ok(events) => assert!(
                events.iter().all(|e| !matches!(e, Event::Page(_))),
                "{setup:?}: no page can follow page u32::MAX"
            ),
            Err(e) => assert_eq!(e.code(), ErrorCode::InvalidConfig),
        }
    }
}

/// Was: `"skip":18446744073709551615` in a VSA cursor panicked (add with overflow).
#[test]
fn a_cursor_with_a_huge_skip_does_not_overflow() {
    for setup in [Setup::Vsax, Setup::Vsa9Pat] {
        let mut cursor: Value = serde_json::from_str(&real_cursor(setup)).expect("JSON");
        cursor["skip"] = json!(u64::MAX);
        if let Err(e) = resume_with(setup, &cursor) {
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
        }
    }
}

/// Runs a connection test whose only response is `status` + `body`; returns its error.
fn connection_error(setup: Setup, status: u16, body: &str) -> Error {
    let mut client = setup.client();
    client.start_test_connection();
    let mut now = 1_767_225_600_000u64;
    while let Some(action) = client.poll(now) {
        match action {
            Action::Send(request) => {
                now += 100;
                client
                    .handle_response(request.id, status, &[], body.as_bytes(), now)
                    .expect("in flight");
            }
            Action::Wait { until_ms } => now = until_ms,
            Action::Event(Event::Connection { report, .. }) => {
                return report.error.expect("the test failed")
            }
            Action::Event(other) => panic!("unexpected {other:?}"),
        }
    }
    panic!("no connection report")
}

/// Was: only the Basic value was scrubbed, so a server echoing the raw VSA X token
/// secret or Data Warehouse token put it into `vendor_message`.
#[test]
fn a_server_echoing_the_raw_basic_secret_does_not_leak_it() {
    for (setup, secret) in [(Setup::Vsax, VSAX_SECRET), (Setup::Warehouse, DW_TOKEN)] {
        let body = json!({"Data": null, "Meta": {"ResponseCode": 401,
            "ErrorMessage": format!("Token secret {secret} is not valid")}, "error": {"message": format!("token {secret} rejected")}});
        let error = connection_error(setup, 401, &body.to_string());
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "{setup:?}: {shown}");
    }
}

/// Was: the vendor message was cut to 500 characters before scrubbing, so a secret
/// straddling the cut leaked its first characters.
#[test]
fn a_secret_cut_by_the_vendor_message_limit_does_not_leak_in_part() {
    // vendor_message keeps 500 characters; a secret straddling the cut must not survive
    // as a prefix.
    let prefix_len = 495;
    let body = json!({"errors": [format!("{}{AT_SECRET}", "x".repeat(prefix_len))]});
    let error = connection_error(Setup::AutotaskZone, 401, &body.to_string());
    let shown = format!("{error} {error:?}");
    let head = &AT_SECRET[..AT_SECRET.len().min(500 - prefix_len)];
    assert!(
        !shown.contains(&format!("x{head}")),
        "the start of the secret survives the cut: {head:?}"
    );
}

/// Was: a next link over 16 KiB made a page cursor that `start_list` refused.
#[test]
fn every_page_cursor_resumes_even_after_a_long_next_link() {
    let mut client = Setup::Warehouse.client();
    let options = ListOptions::default();
    client.start_list("Agents", &options).expect("valid");
    let long_link = format!(
        "https://vsa.example.com/api/odata/1.0/Agents?$skiptoken={}",
        "7".repeat(17_000)
    );
    let mut now = 1_767_225_600_000u64;
    let mut cursor = None;
    while let Some(action) = client.poll(now) {
        match action {
            Action::Send(request) => {
                now += 100;
                let body = json!({"value": [{"AgentId": "1"}], "@odata.nextLink": long_link});
                client
                    .handle_response(request.id, 200, &[], body.to_string().as_bytes(), now)
                    .expect("in flight");
            }
            Action::Event(Event::Page(page)) => {
                cursor = Some(page.cursor);
                break;
            }
            Action::Event(other) => panic!("unexpected {other:?}"),
            Action::Wait { until_ms } => now = until_ms,
        }
    }
    let options = ListOptions {
        cursor,
        ..ListOptions::default()
    };
    if let Err(e) = Setup::Warehouse.client().start_list("Agents", &options) {
        panic!("the cursor of page 1 does not resume: {e}");
    }
}

/// Was: a VSA 9 session token with CR/LF went into `Authorization: Bearer ...` as is.
#[test]
fn a_session_token_cannot_inject_header_lines() {
    let mut client = Setup::Vsa9Pat.client();
    client.start_test_connection();
    let mut now = 1_767_225_600_000u64;
    let mut sent = Vec::new();
    while let Some(action) = client.poll(now) {
        match action {
            Action::Send(request) => {
                now += 100;
                let body = if request.url.ends_with("/auth") {
                    json!({"Result": {"Token": "abc\r\nX-Injected: 1", "SessionExpiration": "2099-01-01T00:00:00Z"},
                           "ResponseCode": 0, "Status": "OK", "Error": "None"})
                } else {
                    json!({"TotalRecords": 1, "Result": [{"OrgId": 1}], "ResponseCode": 0})
                };
                client
                    .handle_response(request.id, 200, &[], body.to_string().as_bytes(), now)
                    .expect("in flight");
                sent.push(request);
            }
            Action::Wait { until_ms } => now = until_ms,
            Action::Event(_) => {}
        }
    }
    for request in &sent {
        for (name, value) in &request.headers {
            assert!(
                !value.chars().any(char::is_control),
                "{} {}: header {name} carries a control character",
                request.method,
                request.url
            );
        }
    }
}

/// Was: a session already expired by the host clock (server clock behind) was renewed
/// before every request, forever: only `/auth` requests, never a page.
#[test]
fn a_session_expired_on_arrival_does_not_log_on_forever() {
    let mut client = Setup::Vsa9Pat.client();
    let options = ListOptions {
        page_size: Some(2),
        ..ListOptions::default()
    };
    client
        .start_list("assetmgmt/agents", &options)
        .expect("valid");
    let mut now = 1_767_225_600_000u64; // 2026-01-01
    let (mut logons, mut requests) = (0, 0);
    let mut ended = false;
    while let Some(action) = client.poll(now) {
        match action {
            Action::Send(request) => {
                requests += 1;
                assert!(requests <= 20, "{logons} logons and no end in sight");
                now += 100;
                let body = if request.url.ends_with("/auth") {
                    logons += 1;
                    json!({"Result": {"Token": "tok-123456", "SessionExpiration": "2020-01-01T00:00:00Z"},
                           "ResponseCode": 0, "Status": "OK", "Error": "None"})
                } else {
                    json!({"TotalRecords": 1, "Result": [{"AgentId": "1"}], "ResponseCode": 0})
                };
                client
                    .handle_response(request.id, 200, &[], body.to_string().as_bytes(), now)
                    .expect("in flight");
            }
            Action::Wait { until_ms } => now = until_ms,
            Action::Event(Event::Done { .. } | Event::Failed { .. }) => ended = true,
            Action::Event(_) => {}
        }
    }
    assert!(ended && logons <= 2, "{logons} logons");
}

/// Was (in the first fix of the loop above): a logon answered at `now_ms = i64::MAX`
/// panicked with add overflow while computing the session expiry.
#[test]
fn a_host_clock_at_the_end_of_time_does_not_overflow() {
    for now_ms in [i64::MAX as u64, u64::MAX - 1, u64::MAX / 2 + 1] {
        for date in [None, Some("Wed, 21 Oct 2015 07:28:00 GMT")] {
            let mut client = Setup::Vsa9Pat.client();
            client.start_test_connection();
            let Some(Action::Send(logon)) = client.poll(now_ms) else {
                panic!("a logon first")
            };
            let headers: Vec<(String, String)> = date
                .map(|d| ("Date".to_string(), d.to_string()))
                .into_iter()
                .collect();
            let body = json!({"Result": {"Token": "tok-123456", "SessionExpiration": "2026-11-22T12:30:00Z"},
                              "ResponseCode": 0, "Status": "OK", "Error": "None"});
            client
                .handle_response(logon.id, 200, &headers, body.to_string().as_bytes(), now_ms)
                .expect("in flight");
            let _ = client.poll(now_ms);
        }
    }
}

/// Was (in the first fix of the page overflow): a cursor at page 4294967294 delivered
/// page 4294967295, whose cursor `start_list` refused as out of range.
#[test]
fn the_cursor_of_the_last_possible_page_resumes() {
    for setup in SETUPS {
        let mut cursor: Value = serde_json::from_str(&real_cursor(setup)).expect("JSON");
        cursor["page"] = json!(u32::MAX - 1);
        // The tracker resumes every delivered cursor and fails if one is refused.
        let _ = resume_with(setup, &cursor);
    }
}
