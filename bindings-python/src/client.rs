//! The Client: the core's state machine with Python arguments. Constructors are static
//! methods taking keyword options; every method translates and delegates.

use std::sync::{Arc, Mutex};

use mspkit_core::{Client, Filter, ListOptions, TransportErrorKind, Vsa9Auth};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::actions::{quoted, to_python_action};
use crate::args::{self, json_value, string, type_name, u32_arg, u64_arg, with_body};
use crate::errors::{config_error, to_pyerr};
use crate::items::{KeyCache, SharedKeys};
use crate::options::{client_options, os_random_u64};

/// One tenant connection; several jobs may run at once. No I/O of its own.
///
/// Options (keyword-only, every constructor): allow_insecure_loopback, jitter_seed,
/// zone_discovery_url, autotask_paging ("next_link" | "keyset"), max_in_flight,
/// windows ({class: [(limit, per_ms), ...]}), failure_guard ("documented" | "announced" |
/// "off" | [(limit, per_ms), ...]), autotask_share, max_wait_ms, retry ({"max_attempts",
/// "base_ms", "cap_ms", "max_total_ms", "rate_limited_floor_ms"}), instance.
/// Invalid input raises ConfigError at once; nothing is sent.
#[pyclass(module = "mspkit._native", name = "Client")]
pub struct PyClient {
    inner: Client,
    keys: SharedKeys,
}

impl PyClient {
    fn wrap(client: Result<Client, mspkit_core::Error>) -> PyResult<Self> {
        Ok(PyClient {
            inner: client.map_err(to_pyerr)?,
            keys: Arc::new(Mutex::new(KeyCache::default())),
        })
    }
}

fn optional_string(value: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<String>> {
    match value {
        Some(v) if !v.is_none() => string(v, name).map(Some),
        _ => Ok(None),
    }
}

/// A list of field names (a lone str is refused: it would read as its characters).
fn field_names(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let refuse = || {
        config_error(
            format!(
                "fields must be a list of field names, got {}",
                type_name(value)
            ),
            "Pass fields as a list of str, e.g. fields=[\"id\", \"companyName\"].",
        )
    };
    if value.is_instance_of::<PyString>() {
        return Err(refuse());
    }
    let iter = value.try_iter().map_err(|_| refuse())?;
    iter.map(|f| string(&f?, "each of fields")).collect()
}

fn filter_arg(value: &Bound<'_, PyAny>) -> PyResult<Filter> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Filter::OData(args::text(text, "filter")?.into_owned()));
    }
    Ok(Filter::from(json_value(value, "filter")?))
}

#[pymethods]
impl PyClient {
    /// A Kaseya VSA X client.
    #[staticmethod]
    #[pyo3(signature = (tenant_url, token_id, token_secret, **options))]
    fn vsax(
        tenant_url: &Bound<'_, PyAny>,
        token_id: &Bound<'_, PyAny>,
        token_secret: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = client_options(options)?;
        PyClient::wrap(Client::vsax(
            &string(tenant_url, "tenant_url")?,
            &string(token_id, "token_id")?,
            &string(token_secret, "token_secret")?,
            options,
        ))
    }

    /// A Kaseya VSA 9 REST client; `auth` is "pat" (personal access token) or "password".
    #[staticmethod]
    #[pyo3(signature = (server_url, username, token, auth = "pat", nonce = None, **options))]
    fn vsa9(
        server_url: &Bound<'_, PyAny>,
        username: &Bound<'_, PyAny>,
        token: &Bound<'_, PyAny>,
        auth: &str,
        nonce: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let auth =
            match auth {
                "pat" => Vsa9Auth::Pat,
                "password" => Vsa9Auth::Password {
                    nonce: match nonce {
                        Some(n) if !n.is_none() => u64_arg(n, "nonce")?,
                        _ => os_random_u64(),
                    },
                },
                other => return Err(config_error(
                    format!("Unknown VSA 9 auth {other:?}"),
                    "Pass auth=\"pat\" (personal access token, preferred) or auth=\"password\".",
                )),
            };
        let options = client_options(options)?;
        PyClient::wrap(Client::vsa9(
            &string(server_url, "server_url")?,
            &string(username, "username")?,
            &string(token, "token")?,
            auth,
            options,
        ))
    }

    /// A Kaseya VSA 9 Data Warehouse client.
    #[staticmethod]
    #[pyo3(signature = (server_url, username, token, **options))]
    fn vsa9_warehouse(
        server_url: &Bound<'_, PyAny>,
        username: &Bound<'_, PyAny>,
        token: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = client_options(options)?;
        PyClient::wrap(Client::vsa9_warehouse(
            &string(server_url, "server_url")?,
            &string(username, "username")?,
            &string(token, "token")?,
            options,
        ))
    }

    /// An Autotask PSA client; without `zone_url` the first request discovers the zone.
    #[staticmethod]
    #[pyo3(signature = (
        username, secret, integration_code, zone_url = None, impersonation_resource_id = None,
        **options
    ))]
    fn autotask(
        username: &Bound<'_, PyAny>,
        secret: &Bound<'_, PyAny>,
        integration_code: &Bound<'_, PyAny>,
        zone_url: Option<&Bound<'_, PyAny>>,
        impersonation_resource_id: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let zone_url = optional_string(zone_url, "zone_url")?;
        let impersonation = match impersonation_resource_id {
            Some(id) if !id.is_none() => Some(u64_arg(id, "impersonation_resource_id")?),
            _ => None,
        };
        let options = client_options(options)?;
        PyClient::wrap(Client::autotask(
            &string(username, "username")?,
            &string(secret, "secret")?,
            &string(integration_code, "integration_code")?,
            zone_url.as_deref(),
            impersonation,
            options,
        ))
    }

    /// "vsax", "vsa9", "vsa9_warehouse" or "autotask".
    #[getter]
    fn vendor(&self) -> &'static str {
        self.inner.vendor().id()
    }

    /// The normalised API base (Autotask: the zone, once known).
    #[getter]
    fn base_url(&self) -> Option<String> {
        self.inner.base_url()
    }

    fn start_test_connection(&mut self) -> u32 {
        self.inner.start_test_connection()
    }

    fn cancel(&mut self, job: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.cancel(u32_arg(job, "job")?))
    }

    #[pyo3(signature = (resource, filter = None, order_by = None, page_size = None, fields = None, cursor = None))]
    fn start_list(
        &mut self,
        resource: &Bound<'_, PyAny>,
        filter: Option<&Bound<'_, PyAny>>,
        order_by: Option<&Bound<'_, PyAny>>,
        page_size: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyAny>>,
        cursor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u32> {
        let resource = string(resource, "resource")?;
        let options = ListOptions {
            filter: filter
                .filter(|f| !f.is_none())
                .map(filter_arg)
                .transpose()?,
            order_by: optional_string(order_by, "order_by")?,
            page_size: page_size
                .filter(|p| !p.is_none())
                .map(|p| u32_arg(p, "page_size"))
                .transpose()?,
            fields: fields
                .filter(|f| !f.is_none())
                .map(field_names)
                .transpose()?,
            cursor: optional_string(cursor, "cursor")?,
        };
        self.inner.start_list(&resource, &options).map_err(to_pyerr)
    }

    /// The next action, or None when idle.
    fn poll(&mut self, py: Python<'_>, now_ms: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let now = args::now_ms(now_ms)?;
        self.inner
            .poll(now)
            .map(|action| to_python_action(py, action, &self.keys))
            .transpose()
    }

    fn handle_response(
        &mut self,
        request_id: &Bound<'_, PyAny>,
        status: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        now_ms: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let request_id = u32_arg(request_id, "request_id")?;
        let status = args::uint(status, "status", 999)? as u16;
        let headers = args::headers(headers)?;
        let now = args::now_ms(now_ms)?;
        let inner = &mut self.inner;
        with_body(body, |bytes| {
            inner.handle_response(request_id, status, &headers, bytes, now)
        })?
        .map_err(to_pyerr)
    }

    fn handle_transport_error(
        &mut self,
        request_id: &Bound<'_, PyAny>,
        kind: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        now_ms: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let request_id = u32_arg(request_id, "request_id")?;
        let kind = TransportErrorKind::parse(&string(kind, "kind")?).map_err(to_pyerr)?;
        let message = string(message, "message")?;
        let now = args::now_ms(now_ms)?;
        self.inner
            .handle_transport_error(request_id, kind, &message, now)
            .map_err(to_pyerr)
    }

    /// Pacing and non-secret caches (the Autotask zone) as JSON; never a secret.
    fn export_state(&self) -> String {
        self.inner.export_state()
    }

    fn import_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let state = string(state, "state")?;
        self.inner.import_state(&state).map_err(to_pyerr)
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(vendor={}, base_url={})",
            quoted(self.inner.vendor().id()),
            self.inner
                .base_url()
                .map_or_else(|| "None".to_string(), |u| quoted(&u))
        )
    }
}
