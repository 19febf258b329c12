//! `NativeClient`: the core's `Client` as a wasm-bindgen class. The public `Client` of the
//! npm package (pkg-src/client.js) wraps it: it supplies randomness, parses what `poll`
//! returns and turns thrown error data into `MspkitError`s.

use mspkit_core::{Client, TransportErrorKind};
use wasm_bindgen::prelude::*;

use crate::actions;
use crate::args;
use crate::errors::js;
use crate::options::{build_client, list_options, Constructor, Random};

/// One tenant connection (see the crate docs of mspkit-core).
#[wasm_bindgen]
pub struct NativeClient {
    inner: Client,
}

/// `random`: four 32-bit words from the host's random source (jitter seed, VSA 9 nonce).
fn construct(
    constructor: Constructor,
    args: JsValue,
    random: &[u32],
) -> Result<NativeClient, JsValue> {
    let word = |i: usize| u64::from(random.get(i).copied().unwrap_or(0));
    let random = Random {
        jitter_seed: (word(0) << 32) | word(1),
        nonce: (word(2) << 32) | word(3),
    };
    let args = js(args::options(args, "the options"))?;
    js(build_client(constructor, args, random)).map(|inner| NativeClient { inner })
}

#[wasm_bindgen]
impl NativeClient {
    /// `{ tenantUrl, tokenId, tokenSecret, ...options }`
    pub fn vsax(args: JsValue, random: &[u32]) -> Result<NativeClient, JsValue> {
        construct(Constructor::Vsax, args, random)
    }

    /// `{ serverUrl, username, token, auth, nonce, ...options }`
    pub fn vsa9(args: JsValue, random: &[u32]) -> Result<NativeClient, JsValue> {
        construct(Constructor::Vsa9, args, random)
    }

    /// `{ serverUrl, username, token, ...options }`
    #[wasm_bindgen(js_name = vsa9Warehouse)]
    pub fn vsa9_warehouse(args: JsValue, random: &[u32]) -> Result<NativeClient, JsValue> {
        construct(Constructor::Vsa9Warehouse, args, random)
    }

    /// `{ username, secret, integrationCode, zoneUrl, impersonationResourceId, ...options }`
    pub fn autotask(args: JsValue, random: &[u32]) -> Result<NativeClient, JsValue> {
        construct(Constructor::Autotask, args, random)
    }

    /// "vsax", "vsa9", "vsa9_warehouse" or "autotask".
    #[wasm_bindgen(getter)]
    pub fn vendor(&self) -> String {
        self.inner.vendor().id().to_string()
    }

    /// The normalised API base; for Autotask the zone once known.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> Option<String> {
        self.inner.base_url()
    }

    #[wasm_bindgen(js_name = startTestConnection)]
    pub fn start_test_connection(&mut self) -> u32 {
        self.inner.start_test_connection()
    }

    /// Stops job `job`; false when it had already ended and delivered everything.
    pub fn cancel(&mut self, job: f64) -> Result<bool, JsValue> {
        let job = js(args::uint(job, "job", u64::from(u32::MAX)))? as u32;
        Ok(self.inner.cancel(job))
    }

    #[wasm_bindgen(js_name = startList)]
    pub fn start_list(&mut self, resource: JsValue, options: JsValue) -> Result<u32, JsValue> {
        let resource = js(args::string(&resource, "resource"))?;
        let options = js(args::options(options, "the list options").and_then(list_options))?;
        js(self.inner.start_list(&resource, &options))
    }

    /// The next action as JSON text, or undefined when idle.
    pub fn poll(&mut self, now_ms: f64) -> Result<Option<String>, JsValue> {
        let now = js(args::now_ms(now_ms))?;
        Ok(self.inner.poll(now).map(|action| actions::to_json(&action)))
    }

    #[wasm_bindgen(js_name = handleResponse)]
    pub fn handle_response(
        &mut self,
        id: f64,
        status: f64,
        headers: JsValue,
        body: JsValue,
        now_ms: f64,
    ) -> Result<(), JsValue> {
        let id = js(args::uint(id, "id", u64::from(u32::MAX)))? as u32;
        let status = js(args::uint(status, "status", u64::from(u16::MAX)))? as u16;
        let headers = js(args::headers(&headers))?;
        let body = js(args::body(&body))?;
        let now = js(args::now_ms(now_ms))?;
        js(self.inner.handle_response(id, status, &headers, &body, now))
    }

    #[wasm_bindgen(js_name = handleTransportError)]
    pub fn handle_transport_error(
        &mut self,
        id: f64,
        kind: JsValue,
        message: JsValue,
        now_ms: f64,
    ) -> Result<(), JsValue> {
        let id = js(args::uint(id, "id", u64::from(u32::MAX)))? as u32;
        let kind = js(args::string(&kind, "kind").and_then(|k| TransportErrorKind::parse(&k)))?;
        let message = message.as_string().unwrap_or_default();
        let now = js(args::now_ms(now_ms))?;
        js(self.inner.handle_transport_error(id, kind, &message, now))
    }

    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> String {
        self.inner.export_state()
    }

    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(&mut self, state: JsValue) -> Result<(), JsValue> {
        let state = js(args::string(&state, "state"))?;
        js(self.inner.import_state(&state))
    }
}
