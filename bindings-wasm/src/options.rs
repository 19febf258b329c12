//! The constructors' options object → the core's constructor arguments and
//! `ClientOptions`, and `startList`'s options → `ListOptions`. Names are the contract's in
//! camelCase; every name and type is checked.

use std::collections::BTreeMap;

use mspkit_core::{
    AutotaskPaging, Client, ClientOptions, EndpointClass, Error, FailureGuard, Filter, ListOptions,
    RateWindow, RetryPolicy, Vsa9Auth,
};
use serde_json::Value;

use crate::fields::{positive_u32, string, type_name, u32_value, uint, unknown_name, Fields};

/// The options every constructor takes besides its credentials.
const OPTION_NAMES: [&str; 11] = [
    "allowInsecureLoopback",
    "jitterSeed",
    "zoneDiscoveryUrl",
    "autotaskPaging",
    "maxInFlight",
    "windows",
    "failureGuard",
    "autotaskShare",
    "maxWaitMs",
    "retry",
    "instance",
];

const RETRY_NAMES: [&str; 5] = [
    "maxAttempts",
    "baseMs",
    "capMs",
    "maxTotalMs",
    "rateLimitedFloorMs",
];

const CLASSES: [&str; 4] = ["default", "assets", "notify", "groupPackage"];

const LIST_NAMES: [&str; 5] = ["filter", "orderBy", "pageSize", "fields", "cursor"];

/// Which constructor is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constructor {
    Vsax,
    Vsa9,
    Vsa9Warehouse,
    Autotask,
}

impl Constructor {
    fn name(self) -> &'static str {
        match self {
            Constructor::Vsax => "Client.vsax options",
            Constructor::Vsa9 => "Client.vsa9 options",
            Constructor::Vsa9Warehouse => "Client.vsa9Warehouse options",
            Constructor::Autotask => "Client.autotask options",
        }
    }

    fn credential_names(self) -> &'static [&'static str] {
        match self {
            Constructor::Vsax => &["tenantUrl", "tokenId", "tokenSecret"],
            Constructor::Vsa9 => &["serverUrl", "username", "token", "auth", "nonce"],
            Constructor::Vsa9Warehouse => &["serverUrl", "username", "token"],
            Constructor::Autotask => &[
                "username",
                "secret",
                "integrationCode",
                "zoneUrl",
                "impersonationResourceId",
            ],
        }
    }
}

/// Values the host drew from its random source, used where the caller gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Random {
    pub jitter_seed: u64,
    pub nonce: u64,
}

/// A client from a constructor's options object.
pub fn build_client(
    constructor: Constructor,
    args: Value,
    random: Random,
) -> Result<Client, Error> {
    let known: Vec<&str> = constructor
        .credential_names()
        .iter()
        .chain(OPTION_NAMES.iter())
        .copied()
        .collect();
    let f = Fields::new(args, constructor.name(), &known)?;
    let options = client_options(&f, random)?;
    match constructor {
        Constructor::Vsax => Client::vsax(
            &f.string("tenantUrl")?,
            &f.string("tokenId")?,
            &f.string("tokenSecret")?,
            options,
        ),
        Constructor::Vsa9 => {
            let auth = match f.opt_string("auth")?.as_deref() {
                None | Some("pat") => Vsa9Auth::Pat,
                Some("password") => Vsa9Auth::Password {
                    nonce: f.opt_uint("nonce", u64::MAX)?.unwrap_or(random.nonce),
                },
                Some(_) => {
                    return Err(Error::config(
                        "Unknown auth for VSA 9",
                        "Pass auth: \"pat\" (a personal access token, the default) or \
                         \"password\" (legacy logon).",
                    ))
                }
            };
            Client::vsa9(
                &f.string("serverUrl")?,
                &f.string("username")?,
                &f.string("token")?,
                auth,
                options,
            )
        }
        Constructor::Vsa9Warehouse => Client::vsa9_warehouse(
            &f.string("serverUrl")?,
            &f.string("username")?,
            &f.string("token")?,
            options,
        ),
        Constructor::Autotask => Client::autotask(
            &f.string("username")?,
            &f.string("secret")?,
            &f.string("integrationCode")?,
            f.opt_string("zoneUrl")?.as_deref(),
            f.opt_uint("impersonationResourceId", u64::MAX)?,
            options,
        ),
    }
}

fn client_options(f: &Fields, random: Random) -> Result<ClientOptions, Error> {
    let mut out = ClientOptions {
        allow_insecure_loopback: f.opt_bool("allowInsecureLoopback")?.unwrap_or(false),
        jitter_seed: f
            .opt_uint("jitterSeed", u64::MAX)?
            .unwrap_or(random.jitter_seed),
        zone_discovery_url: f.opt_string("zoneDiscoveryUrl")?,
        ..ClientOptions::default()
    };
    if let Some(v) = f.get("autotaskPaging") {
        out.autotask_paging = autotask_paging(v)?;
    }
    let pacing = &mut out.pacing;
    if let Some(v) = f.get("maxInFlight") {
        pacing.max_in_flight = u32_value(v, "maxInFlight")?;
    }
    if let Some(v) = f.get("windows") {
        pacing.windows = windows(v)?;
    }
    if let Some(v) = f.get("failureGuard") {
        pacing.failure_guard = Some(failure_guard(v)?);
    }
    if let Some(v) = f.get("autotaskShare") {
        pacing.autotask_share = share(v)?;
    }
    if let Some(ms) = f.opt_uint("maxWaitMs", u64::MAX)? {
        pacing.max_wait_ms = ms;
    }
    if let Some(v) = f.get("retry") {
        pacing.retry = retry(v)?;
    }
    pacing.instance = f.opt_string("instance")?;
    Ok(out)
}

fn autotask_paging(value: &Value) -> Result<AutotaskPaging, Error> {
    match string(value, "autotaskPaging")?.as_str() {
        "nextLink" | "next_link" => Ok(AutotaskPaging::NextLink),
        "keyset" => Ok(AutotaskPaging::Keyset),
        _ => Err(Error::config(
            "Unknown autotaskPaging",
            "Pass autotaskPaging: \"nextLink\" (the default) or \"keyset\".",
        )),
    }
}

/// The share's range is the core's to check (PacingOptions::check); here only its type.
fn share(value: &Value) -> Result<f64, Error> {
    value.as_f64().ok_or_else(|| {
        Error::config(
            format!("autotaskShare must be a number, got {}", type_name(value)),
            "Pass the share of the tenant's hourly Autotask threshold this client may use, \
             e.g. autotaskShare: 0.5.",
        )
    })
}

/// A list of `[limit, perMs]` pairs.
fn window_list(value: &Value, option: &str) -> Result<Vec<RateWindow>, Error> {
    let remedy =
        format!("Pass {option} as a list of [limit, perMs] pairs such as [[3600, 3600000]].");
    let Value::Array(pairs) = value else {
        return Err(Error::config(
            format!(
                "{option} must be a list of [limit, perMs] pairs, got {}",
                type_name(value)
            ),
            remedy,
        ));
    };
    pairs
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            // A window of 0 requests or 0 ms is the core's to refuse (PacingOptions::check).
            Some([limit, per_ms]) => Ok(RateWindow::new(
                u32_value(limit, &format!("a limit in {option}"))?,
                uint(per_ms, &format!("a perMs in {option}"), u64::MAX)?,
            )),
            _ => Err(Error::config(
                format!(
                    "{option} must be a list of [limit, perMs] pairs; an element is {}",
                    type_name(pair)
                ),
                remedy.clone(),
            )),
        })
        .collect()
}

fn windows(value: &Value) -> Result<BTreeMap<EndpointClass, Vec<RateWindow>>, Error> {
    let Value::Object(map) = value else {
        return Err(Error::config(
            format!("windows must be an object, got {}", type_name(value)),
            format!(
                "Pass windows as {{ class: [[limit, perMs], ...] }} with class one of {}.",
                CLASSES.join(", ")
            ),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, list) in map {
        let class = match name.as_str() {
            "groupPackage" => Some(EndpointClass::GroupPackage),
            other => EndpointClass::from_name(other),
        };
        let class = class.ok_or_else(|| unknown_name(name, "windows class", &CLASSES))?;
        out.insert(class, window_list(list, &format!("windows.{name}"))?);
    }
    Ok(out)
}

fn failure_guard(value: &Value) -> Result<FailureGuard, Error> {
    match value {
        Value::String(name) => match name.as_str() {
            "documented" => Ok(FailureGuard::Documented),
            "announced" => Ok(FailureGuard::Announced),
            "off" => Ok(FailureGuard::Off),
            _ => Err(Error::config(
                "Unknown failureGuard",
                "Pass \"documented\", \"announced\", \"off\" or a list of [limit, perMs] pairs.",
            )),
        },
        other => window_list(other, "failureGuard").map(FailureGuard::Custom),
    }
}

fn retry(value: &Value) -> Result<RetryPolicy, Error> {
    let f = Fields::new(value.clone(), "retry", &RETRY_NAMES)?;
    let mut policy = RetryPolicy::default();
    if let Some(v) = f.get("maxAttempts") {
        policy.max_attempts = u32_value(v, "retry.maxAttempts")?;
    }
    let ms = |name: &str, default: u64| -> Result<u64, Error> {
        Ok(f.opt_uint(name, u64::MAX)?.unwrap_or(default))
    };
    policy.base_ms = ms("baseMs", policy.base_ms)?;
    policy.cap_ms = ms("capMs", policy.cap_ms)?;
    policy.max_total_ms = ms("maxTotalMs", policy.max_total_ms)?;
    policy.rate_limited_floor_ms = ms("rateLimitedFloorMs", policy.rate_limited_floor_ms)?;
    Ok(policy)
}

/// `startList`'s options object.
pub fn list_options(value: Value) -> Result<ListOptions, Error> {
    let f = Fields::new(value, "startList options", &LIST_NAMES)?;
    let filter = match f.get("filter") {
        None => None,
        // Text is OData, or Autotask filter items as JSON text; the core tells them apart.
        Some(Value::String(text)) => Some(Filter::OData(text.clone())),
        Some(items @ (Value::Array(_) | Value::Object(_))) => Some(Filter::Autotask(items.clone())),
        Some(other) => {
            return Err(Error::config(
                format!(
                    "filter must be a string or a list of filter items, got {}",
                    type_name(other)
                ),
                "Pass an OData expression (VSA X, VSA 9, Data Warehouse) or Autotask filter \
                 items such as [{ op: \"eq\", field: \"isActive\", value: true }].",
            ))
        }
    };
    let fields = match f.get("fields") {
        None => None,
        Some(Value::Array(names)) => Some(
            names
                .iter()
                .map(|n| string(n, "an element of fields"))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => {
            return Err(Error::config(
                format!(
                    "fields must be a list of field names, got {}",
                    type_name(other)
                ),
                "Pass fields as a list of strings such as [\"id\", \"companyName\"].",
            ))
        }
    };
    Ok(ListOptions {
        filter,
        order_by: f.opt_string("orderBy")?,
        page_size: f
            .get("pageSize")
            .map(|v| positive_u32(v, "pageSize"))
            .transpose()?,
        fields,
        cursor: f.opt_string("cursor")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mspkit_core::{ErrorCode, Vendor};
    use serde_json::json;

    const RANDOM: Random = Random {
        jitter_seed: 7,
        nonce: 9,
    };

    #[test]
    fn each_constructor_reads_its_credentials_and_the_shared_options() {
        let c = build_client(
            Constructor::Vsax,
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s",
                   "maxInFlight": 2, "windows": {"default": [[20, 2000]]},
                   "retry": {"maxAttempts": 3, "baseMs": 10}}),
            RANDOM,
        )
        .unwrap();
        assert_eq!(c.vendor(), Vendor::Vsax);
        assert_eq!(
            c.base_url().as_deref(),
            Some("https://acme.vsax.net/api/v3/")
        );
        let c = build_client(
            Constructor::Vsa9,
            json!({"serverUrl": "vsa.example.com", "username": "u", "token": "t", "auth": "password"}),
            RANDOM,
        );
        assert_eq!(c.unwrap().vendor(), Vendor::Vsa9);
        let c = build_client(
            Constructor::Autotask,
            json!({"username": "u@x.example", "secret": "s", "integrationCode": "C",
                   "impersonationResourceId": null, "autotaskPaging": "keyset",
                   "failureGuard": "off", "autotaskShare": 0.25}),
            RANDOM,
        );
        assert_eq!(c.unwrap().vendor(), Vendor::Autotask);
    }

    #[test]
    fn mistakes_are_config_errors_that_name_the_field() {
        let cases = [
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id"}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "tokenSecrt": 1}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "windows": {"fast": []}}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "windows": {"default": [[0, 1]]}}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "retry": {"tries": 1}}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "autotaskShare": 2}),
            json!({"tenantUrl": "acme.vsax.net", "tokenId": "id", "tokenSecret": "s", "failureGuard": "x"}),
        ];
        for case in cases {
            let e = build_client(Constructor::Vsax, case.clone(), RANDOM).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{case}");
        }
    }

    #[test]
    fn list_options_take_odata_text_or_autotask_items() {
        let o = list_options(
            json!({"filter": [{"op": "eq", "field": "isActive", "value": true}],
                                    "pageSize": 50, "fields": ["id"], "cursor": null}),
        )
        .unwrap();
        assert!(matches!(o.filter, Some(Filter::Autotask(_))));
        assert_eq!(o.page_size, Some(50));
        let o = list_options(json!({"filter": "Name eq 'x'", "orderBy": "Name"})).unwrap();
        assert_eq!(o.filter, Some(Filter::OData("Name eq 'x'".into())));
        assert!(list_options(json!({"filter": 1})).is_err());
        assert!(list_options(json!({"pageSize": 0})).is_err());
        assert!(list_options(json!({"top": 5})).is_err());
        assert_eq!(list_options(Value::Null).unwrap(), ListOptions::default());
    }
}
