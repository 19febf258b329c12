//! `checkRelayRequest` and `relayAddressAllowed` for a relay server (js-demo/server.mjs):
//! the page's relay body and the operator's policy read into the core's check. Every
//! decision is the core's (mspkit_core::relay); this only reads and writes JS objects.

use std::net::IpAddr;

use mspkit_core::relay::{self, RelayPolicy, RelayTarget};
use mspkit_core::{Error, Vendor};
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::errors::js;
use crate::fields::{self, Fields};

const REQUEST: &str = "the relay request";
const POLICY: &str = "the relay policy";

/// The request as the relay should send it.
#[derive(Serialize)]
struct Target {
    method: &'static str,
    url: String,
    headers: Map<String, Value>,
}

/// Checks a relay request `{ vendor, method, url, headers, body? }` against `policy`
/// (`{ simulator?, allowHosts? }`); returns `{ method, url, headers }` to send, or throws
/// an MspkitError (`unsafe_link`: refused; `invalid_config`: the body is malformed).
#[wasm_bindgen(js_name = checkRelayRequest)]
pub fn check_relay_request(request: JsValue, policy: JsValue) -> Result<JsValue, JsValue> {
    let target = js(read_and_check(request, policy))?;
    let out = Target {
        method: target.method.as_str(),
        url: target.url.to_string(),
        headers: target
            .headers
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect(),
    };
    out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

/// True when the relay may connect to `ip`, an address an allowed host name resolved to.
#[wasm_bindgen(js_name = relayAddressAllowed)]
pub fn relay_address_allowed(ip: JsValue, policy: JsValue) -> Result<bool, JsValue> {
    let policy = js(read_policy(policy))?;
    let text = js(args::string(&ip, "ip"))?;
    let ip: IpAddr = text.trim().parse().map_err(|_| {
        crate::errors::to_js(&Error::config(
            "ip is not an IP address",
            "Pass the address the host name resolved to, e.g. \"203.0.113.7\".",
        ))
    })?;
    Ok(relay::relay_address_allowed(ip, &policy))
}

fn read_and_check(request: JsValue, policy: JsValue) -> Result<RelayTarget, Error> {
    let policy = read_policy(policy)?;
    let request = Fields::new(
        args::options(request, REQUEST)?,
        REQUEST,
        &["vendor", "method", "url", "headers", "body"],
    )?;
    let vendor_id = request.string("vendor")?;
    let vendor = Vendor::from_id(&vendor_id).ok_or_else(|| {
        fields::unknown_name(
            &vendor_id,
            "vendor in the relay request",
            &["vsax", "vsa9", "vsa9_warehouse", "autotask"],
        )
    })?;
    let headers = match request.get("headers") {
        None => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| Ok((name.clone(), fields::string(value, "each header")?)))
            .collect::<Result<_, Error>>()?,
        Some(other) => {
            return Err(Error::config(
                format!(
                    "headers must be an object, got {}",
                    fields::type_name(other)
                ),
                "Pass headers as { name: value } with string values.",
            ))
        }
    };
    request.opt_string("body")?;
    relay::check_relay_request(
        vendor,
        &request.string("method")?,
        &request.string("url")?,
        &headers,
        &policy,
    )
}

fn read_policy(policy: JsValue) -> Result<RelayPolicy, Error> {
    let policy = Fields::new(
        args::options(policy, POLICY)?,
        POLICY,
        &["simulator", "allowHosts"],
    )?;
    let allow_hosts = match policy.get("allowHosts") {
        None => Vec::new(),
        Some(Value::Array(hosts)) => hosts
            .iter()
            .map(|host| fields::string(host, "each of allowHosts"))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(Error::config(
                format!(
                    "allowHosts must be an array, got {}",
                    fields::type_name(other)
                ),
                "Pass allowHosts as an array of host names, e.g. [\"vsa.example.com\"].",
            ))
        }
    };
    Ok(RelayPolicy {
        simulator: policy.opt_bool("simulator")?.unwrap_or(false),
        allow_hosts,
    })
}
