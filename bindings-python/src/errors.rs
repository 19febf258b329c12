//! mspkit errors as Python exceptions: one base class, one subclass per stable code, the
//! core's fields set on every instance.

use mspkit_core::{Error as CoreError, ErrorCode};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    mspkit._native,
    Error,
    PyException,
    "Base class of every mspkit error; code, status, message, remediation, vendor_message and retryable are set on every instance."
);
create_exception!(
    mspkit._native,
    ConfigError,
    Error,
    "invalid_config: the configuration or query is invalid."
);
create_exception!(
    mspkit._native,
    AuthError,
    Error,
    "unauthorized: the server refused the credentials."
);
create_exception!(
    mspkit._native,
    ForbiddenError,
    Error,
    "forbidden: the credentials lack the right to this resource."
);
create_exception!(
    mspkit._native,
    NotFoundError,
    Error,
    "not_found: wrong tenant URL, product or resource."
);
create_exception!(
    mspkit._native,
    RateLimitedError,
    Error,
    "rate_limited: the server throttled the client."
);
create_exception!(
    mspkit._native,
    ServerError,
    Error,
    "server_error: the server failed."
);
create_exception!(
    mspkit._native,
    ResponseError,
    Error,
    "bad_response: the response could not be understood."
);
create_exception!(
    mspkit._native,
    TransportError,
    Error,
    "transport: the HTTP client failed (timeout, refused, reset)."
);
create_exception!(
    mspkit._native,
    UnsafeLinkError,
    Error,
    "unsafe_link: a link pointed where credentials must not go."
);
create_exception!(
    mspkit._native,
    BudgetExhaustedError,
    Error,
    "budget_exhausted: the request or retry budget ran out."
);

/// The class for `code`.
fn class_of(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    match code {
        ErrorCode::InvalidConfig => py.get_type::<ConfigError>(),
        ErrorCode::Unauthorized => py.get_type::<AuthError>(),
        ErrorCode::Forbidden => py.get_type::<ForbiddenError>(),
        ErrorCode::NotFound => py.get_type::<NotFoundError>(),
        ErrorCode::RateLimited => py.get_type::<RateLimitedError>(),
        ErrorCode::ServerError => py.get_type::<ServerError>(),
        ErrorCode::BadResponse => py.get_type::<ResponseError>(),
        ErrorCode::Transport => py.get_type::<TransportError>(),
        ErrorCode::UnsafeLink => py.get_type::<UnsafeLinkError>(),
        ErrorCode::BudgetExhausted => py.get_type::<BudgetExhaustedError>(),
    }
}

/// Adds the classes to the module, each with class-level defaults for the fields so an
/// instance raised from Python code (`raise mspkit.TransportError("...")`) still has them.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let base = py.get_type::<Error>();
    set_fields(&base, "", None, "", "", None, false)?;
    module.add("Error", base)?;
    for code in ErrorCode::ALL {
        let class = class_of(py, code);
        class.setattr("code", code.as_str())?;
        let name = class.name()?;
        module.add(name, class)?;
    }
    Ok(())
}

fn set_fields(
    target: &Bound<'_, PyAny>,
    code: &str,
    status: Option<u16>,
    message: &str,
    remediation: &str,
    vendor_message: Option<&str>,
    retryable: bool,
) -> PyResult<()> {
    target.setattr("code", code)?;
    target.setattr("status", status)?;
    target.setattr("message", message)?;
    target.setattr("remediation", remediation)?;
    target.setattr("vendor_message", vendor_message)?;
    target.setattr("retryable", retryable)?;
    Ok(())
}

/// The exception instance for a core error: the subclass of its code, `str(e)` the core's
/// one-line text (already scrubbed of secrets), the fields as attributes.
pub fn to_exception<'py>(py: Python<'py>, error: &CoreError) -> PyResult<Bound<'py, PyAny>> {
    let instance = class_of(py, error.code()).call1((error.to_string(),))?;
    set_fields(
        &instance,
        error.code().as_str(),
        error.status(),
        error.message(),
        error.remediation(),
        error.vendor_message(),
        error.is_retryable(),
    )?;
    Ok(instance)
}

/// A core error as a raisable `PyErr`.
pub fn to_pyerr(error: CoreError) -> PyErr {
    Python::attach(|py| match to_exception(py, &error) {
        Ok(instance) => PyErr::from_value(instance),
        Err(failed) => failed,
    })
}

/// A ConfigError built here (bad argument types and option names), in the core's shape.
pub fn config_error(message: impl Into<String>, remediation: impl Into<String>) -> PyErr {
    to_pyerr(CoreError::config(message, remediation))
}
