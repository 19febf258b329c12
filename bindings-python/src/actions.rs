//! What `poll` returns, as frozen Python objects: Send (with its Request), Wait, Event
//! and ConnectionReport. Reprs name headers but never show a value that could be a
//! credential.

use std::sync::OnceLock;

use mspkit_core::{Action, ConnectionReport, Event, Items, Request};
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::PyTraverseError;

use crate::errors::to_exception;
use crate::items::{to_python, SharedKeys};

/// Header values shown in a repr; every other value is redacted, so a credential header
/// this list does not know (Authorization, Secret, ApiIntegrationCode, UserName, a
/// session token, ...) can never leak into a log line.
const SHOWN_HEADER_VALUES: [&str; 2] = ["accept", "content-type"];

/// Longest text shown in a repr (a URL, a cursor).
const REPR_MAX_CHARS: usize = 200;

fn shorten(text: &str) -> String {
    match text.char_indices().nth(REPR_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Python's repr of a str (quotes and escapes), without a Python call.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_string(), |v| v.to_string())
}

/// An HTTP request to send exactly as given.
#[pyclass(module = "mspkit._native", name = "Request", frozen)]
pub struct PyRequest {
    inner: Request,
}

#[pymethods]
impl PyRequest {
    #[getter]
    fn id(&self) -> u32 {
        self.inner.id
    }

    #[getter]
    fn method(&self) -> &'static str {
        self.inner.method.as_str()
    }

    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }

    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers.clone()
    }

    #[getter]
    fn body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    fn __repr__(&self) -> String {
        let headers: Vec<String> = self
            .inner
            .headers
            .iter()
            .map(|(name, value)| {
                let shown =
                    SHOWN_HEADER_VALUES.contains(&name.trim().to_ascii_lowercase().as_str());
                let value = if shown {
                    quoted(&shorten(value))
                } else {
                    "'[redacted]'".into()
                };
                format!("({}, {value})", quoted(name))
            })
            .collect();
        let body = match &self.inner.body {
            Some(body) => format!("<{} chars>", body.chars().count()),
            None => "None".into(),
        };
        format!(
            "Request(id={}, method={}, url={}, headers=[{}], body={body})",
            self.inner.id,
            quoted(self.inner.method.as_str()),
            quoted(&shorten(&self.inner.url)),
            headers.join(", "),
        )
    }
}

/// Send `request`, then call handle_response or handle_transport_error.
#[pyclass(module = "mspkit._native", name = "Send", frozen)]
pub struct PySend {
    request: Py<PyRequest>,
}

#[pymethods]
impl PySend {
    #[getter]
    fn request(&self, py: Python<'_>) -> Py<PyRequest> {
        self.request.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("Send({})", self.request.get().__repr__())
    }
}

/// Send nothing before `until_ms`; poll again then.
#[pyclass(module = "mspkit._native", name = "Wait", frozen)]
pub struct PyWait {
    until_ms: u64,
}

#[pymethods]
impl PyWait {
    #[getter]
    fn until_ms(&self) -> u64 {
        self.until_ms
    }

    fn __repr__(&self) -> String {
        format!("Wait(until_ms={})", self.until_ms)
    }
}

/// The object in `cell`, made by `make` on first use. Two threads may both make it (the
/// first stored wins): never blocking here is what keeps a thread that waits for the
/// cell from holding the interpreter while the other needs it.
fn made_once<T>(
    py: Python<'_>,
    cell: &OnceLock<Py<T>>,
    make: impl FnOnce() -> PyResult<Py<T>>,
) -> PyResult<Py<T>> {
    if let Some(known) = cell.get() {
        return Ok(known.clone_ref(py));
    }
    let made = make()?;
    let _lost_race = cell.set(made.clone_ref(py));
    Ok(cell.get().map_or(made, |stored| stored.clone_ref(py)))
}

/// A core error shown as an exception instance, the same object on every access.
struct LazyError {
    error: Option<mspkit_core::Error>,
    instance: OnceLock<Py<PyAny>>,
}

impl LazyError {
    fn new(error: Option<mspkit_core::Error>) -> Self {
        LazyError {
            error,
            instance: OnceLock::new(),
        }
    }

    fn get(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(error) = &self.error else {
            return Ok(None);
        };
        made_once(py, &self.instance, || {
            to_exception(py, error).map(Bound::unbind)
        })
        .map(Some)
    }

    fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(instance) = self.instance.get() {
            visit.call(instance)?;
        }
        Ok(())
    }

    fn repr(&self) -> String {
        match &self.error {
            Some(e) => format!("<{} error: {}>", e.code(), quoted(&shorten(e.message()))),
            None => "None".into(),
        }
    }
}

#[pyclass(module = "mspkit._native", name = "ConnectionReport", frozen)]
pub struct PyConnectionReport {
    ok: bool,
    vendor: &'static str,
    base_url: Option<String>,
    organization_count: Option<u64>,
    message: String,
    requests_made: u32,
    error: LazyError,
}

impl PyConnectionReport {
    fn new(report: ConnectionReport) -> Self {
        PyConnectionReport {
            ok: report.ok,
            vendor: report.vendor.id(),
            base_url: report.base_url,
            organization_count: report.organization_count,
            message: report.message,
            requests_made: report.requests_made,
            error: LazyError::new(report.error),
        }
    }
}

#[pymethods]
impl PyConnectionReport {
    #[getter]
    fn ok(&self) -> bool {
        self.ok
    }

    #[getter]
    fn vendor(&self) -> &'static str {
        self.vendor
    }

    #[getter]
    fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    #[getter]
    fn organization_count(&self) -> Option<u64> {
        self.organization_count
    }

    #[getter]
    fn message(&self) -> &str {
        &self.message
    }

    #[getter]
    fn error(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.error.get(py)
    }

    #[getter]
    fn requests_made(&self) -> u32 {
        self.requests_made
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.error.traverse(&visit)
    }

    fn __repr__(&self) -> String {
        format!(
            "ConnectionReport(ok={}, vendor={}, base_url={}, organization_count={}, \
             message={}, error={}, requests_made={})",
            if self.ok { "True" } else { "False" },
            quoted(self.vendor),
            self.base_url
                .as_deref()
                .map_or_else(|| "None".into(), |u| quoted(&shorten(u))),
            optional(self.organization_count),
            quoted(&shorten(&self.message)),
            self.error.repr(),
            self.requests_made,
        )
    }
}

/// A page's records: the JSON text, and the Python list built from it on first access.
struct PageItems {
    items: Items,
    keys: SharedKeys,
    list: OnceLock<Py<PyList>>,
    total: Option<u64>,
    page_number: u32,
    cursor: String,
}

/// Something happened to a job. Fields not of its kind are None.
#[pyclass(module = "mspkit._native", name = "Event", frozen)]
pub struct PyEvent {
    kind: &'static str,
    job: u32,
    page: Option<PageItems>,
    item_count: Option<u64>,
    requests_made: Option<u32>,
    error: LazyError,
    report: Option<Py<PyConnectionReport>>,
}

#[pymethods]
impl PyEvent {
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }

    #[getter]
    fn job(&self) -> u32 {
        self.job
    }

    #[getter]
    fn items(&self, py: Python<'_>) -> PyResult<Option<Py<PyList>>> {
        let Some(page) = &self.page else {
            return Ok(None);
        };
        made_once(py, &page.list, || {
            to_python(py, &page.items, &page.keys).map(Bound::unbind)
        })
        .map(Some)
    }

    #[getter]
    fn items_json(&self) -> Option<&str> {
        self.page.as_ref().map(|p| p.items.as_json())
    }

    #[getter]
    fn item_count(&self) -> Option<u64> {
        self.item_count
    }

    #[getter]
    fn total(&self) -> Option<u64> {
        self.page.as_ref().and_then(|p| p.total)
    }

    #[getter]
    fn page_number(&self) -> Option<u32> {
        self.page.as_ref().map(|p| p.page_number)
    }

    #[getter]
    fn cursor(&self) -> Option<&str> {
        self.page.as_ref().map(|p| p.cursor.as_str())
    }

    #[getter]
    fn requests_made(&self) -> Option<u32> {
        self.requests_made
    }

    #[getter]
    fn error(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.error.get(py)
    }

    #[getter]
    fn report(&self, py: Python<'_>) -> Option<Py<PyConnectionReport>> {
        self.report.as_ref().map(|r| r.clone_ref(py))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(list) = self.page.as_ref().and_then(|p| p.list.get()) {
            visit.call(list)?;
        }
        if let Some(report) = &self.report {
            visit.call(report)?;
        }
        self.error.traverse(&visit)
    }

    fn __repr__(&self) -> String {
        let mut fields = vec![
            format!("kind={}", quoted(self.kind)),
            format!("job={}", self.job),
        ];
        if let Some(page) = &self.page {
            fields.push(format!("page_number={}", page.page_number));
            fields.push(format!("item_count={}", page.items.len()));
            fields.push(format!("total={}", optional(page.total)));
            fields.push(format!("cursor=<{} chars>", page.cursor.len()));
        } else if let Some(count) = self.item_count {
            fields.push(format!("item_count={count}"));
        }
        if let Some(made) = self.requests_made {
            fields.push(format!("requests_made={made}"));
        }
        if self.error.error.is_some() {
            fields.push(format!("error={}", self.error.repr()));
        }
        if let Some(report) = &self.report {
            fields.push(format!("report={}", report.get().__repr__()));
        }
        format!("Event({})", fields.join(", "))
    }
}

impl PyEvent {
    fn new(py: Python<'_>, event: Event, keys: &SharedKeys) -> PyResult<Self> {
        let job = event.job();
        let kind = event.kind();
        let mut out = PyEvent {
            kind,
            job,
            page: None,
            item_count: None,
            requests_made: None,
            error: LazyError::new(None),
            report: None,
        };
        match event {
            Event::Page(page) => {
                out.item_count = Some(page.items.len() as u64);
                out.page = Some(PageItems {
                    items: page.items,
                    keys: keys.clone(),
                    list: OnceLock::new(),
                    total: page.total,
                    page_number: page.page_number,
                    cursor: page.cursor,
                });
            }
            Event::Done {
                requests_made,
                items,
                ..
            } => {
                out.item_count = Some(items);
                out.requests_made = Some(requests_made);
            }
            Event::Failed {
                error,
                requests_made,
                ..
            } => {
                out.requests_made = Some(requests_made);
                out.error = LazyError::new(Some(error));
            }
            Event::Connection { report, .. } => {
                out.report = Some(Py::new(py, PyConnectionReport::new(report))?);
            }
        }
        Ok(out)
    }
}

/// The Python object for one action of `poll`.
pub fn to_python_action(py: Python<'_>, action: Action, keys: &SharedKeys) -> PyResult<Py<PyAny>> {
    Ok(match action {
        Action::Send(request) => {
            let request = Py::new(py, PyRequest { inner: request })?;
            Py::new(py, PySend { request })?.into_any()
        }
        Action::Wait { until_ms } => Py::new(py, PyWait { until_ms })?.into_any(),
        Action::Event(event) => Py::new(py, PyEvent::new(py, event, keys)?)?.into_any(),
    })
}
