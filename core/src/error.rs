//! Errors as data: one type with a stable code, the HTTP status, a message, what to do
//! about it, and what the server said.
//!
//! Every binding maps this to its own error shape (`mspkit.Error` in Python, `MspkitError`
//! in JS) with the same fields. No constructor here ever receives a secret: callers pass
//! text that was already scrubbed (see [`crate::secret::Redactor`]).

use std::fmt;

/// The stable error codes shared by every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The caller's configuration or query is invalid (raised before anything is sent, or
    /// when the server rejects the request itself as malformed).
    InvalidConfig,
    /// The server refused the credentials (HTTP 401 or an in-body 401).
    Unauthorized,
    /// The credentials are valid but lack the right to this resource (HTTP 403).
    Forbidden,
    /// The URL does not exist on that server: wrong tenant URL or wrong product.
    NotFound,
    /// The server throttled us (HTTP 429 or a vendor's thread-limit message).
    RateLimited,
    /// The server failed (5xx) for a reason that is not the caller's mistake.
    ServerError,
    /// The response could not be understood (not JSON, truncated, unexpected shape).
    BadResponse,
    /// The host's HTTP client failed: timeout, connection refused, reset.
    Transport,
    /// A link or zone URL pointed somewhere credentials must not go.
    UnsafeLink,
    /// The request or retry budget ran out before the job could finish.
    BudgetExhausted,
}

impl ErrorCode {
    /// The code as the stable string every binding exposes (`"unauthorized"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerError => "server_error",
            ErrorCode::BadResponse => "bad_response",
            ErrorCode::Transport => "transport",
            ErrorCode::UnsafeLink => "unsafe_link",
            ErrorCode::BudgetExhausted => "budget_exhausted",
        }
    }

    /// Every code, in declaration order (for bindings that build one class per code).
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::InvalidConfig,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::RateLimited,
        ErrorCode::ServerError,
        ErrorCode::BadResponse,
        ErrorCode::Transport,
        ErrorCode::UnsafeLink,
        ErrorCode::BudgetExhausted,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest vendor message kept; an HTML error page can be megabytes.
const VENDOR_MESSAGE_MAX_CHARS: usize = 500;

/// An mspkit error: what went wrong, whose fault it was, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    status: Option<u16>,
    message: String,
    remediation: String,
    vendor_message: Option<String>,
    retryable: bool,
}

impl Error {
    /// A new error. `retryable` starts false; see [`Error::retryable`].
    pub fn new(
        code: ErrorCode,
        message: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Self {
        Error {
            code,
            status: None,
            message: message.into(),
            remediation: remediation.into(),
            vendor_message: None,
            retryable: false,
        }
    }

    /// Shorthand for an [`ErrorCode::InvalidConfig`] error.
    pub fn config(message: impl Into<String>, remediation: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidConfig, message, remediation)
    }

    /// Shorthand for an [`ErrorCode::BadResponse`] error.
    pub fn bad_response(message: impl Into<String>) -> Self {
        Error::new(
            ErrorCode::BadResponse,
            message,
            "The server answered with something that is not this vendor's API response. \
             Check that the URL points at the right product, and whether a proxy or \
             firewall rewrote the response; if it persists, report it with the vendor message.",
        )
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets what the server said, trimmed and cut to a readable length.
    pub fn with_vendor_message(mut self, vendor_message: Option<String>) -> Self {
        self.vendor_message = vendor_message
            .map(|m| truncate_chars(m.trim(), VENDOR_MESSAGE_MAX_CHARS))
            .filter(|m| !m.is_empty());
        self
    }

    /// Marks whether repeating the same request could succeed (a transient failure).
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    /// The HTTP status of the response that caused it, if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// What went wrong, in one sentence.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// What the user should do about it.
    pub fn remediation(&self) -> &str {
        &self.remediation
    }
    /// What the server said, verbatim but shortened; never a secret.
    pub fn vendor_message(&self) -> Option<&str> {
        self.vendor_message.as_deref()
    }
    /// True when repeating the same request later could succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// Rewrites every text field through `scrub` (used to remove secrets).
    pub(crate) fn map_text(mut self, scrub: impl Fn(&str) -> String) -> Self {
        self.message = scrub(&self.message);
        self.remediation = scrub(&self.remediation);
        self.vendor_message = self.vendor_message.as_deref().map(&scrub);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(vendor) = &self.vendor_message {
            write!(f, "; the server said: \"{vendor}\"")?;
        }
        if !self.remediation.is_empty() {
            write!(f, ". {}", self.remediation)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Cuts `text` to at most `max` characters on a char boundary, marking the cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_stable_strings_of_the_contract() {
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all,
            [
                "invalid_config",
                "unauthorized",
                "forbidden",
                "not_found",
                "rate_limited",
                "server_error",
                "bad_response",
                "transport",
                "unsafe_link",
                "budget_exhausted"
            ]
        );
    }

    #[test]
    fn display_carries_status_vendor_message_and_remediation() {
        let e = Error::new(ErrorCode::NotFound, "Not found", "Check the tenant URL")
            .with_status(404)
            .with_vendor_message(Some("  Entity is not found. ".into()));
        assert_eq!(
            e.to_string(),
            "Not found (HTTP 404); the server said: \"Entity is not found.\". Check the tenant URL"
        );
        assert_eq!(e.vendor_message(), Some("Entity is not found."));
    }

    #[test]
    fn long_vendor_messages_are_cut_on_a_char_boundary() {
        let long = "é".repeat(2000);
        let e = Error::bad_response("x").with_vendor_message(Some(long));
        let kept = e.vendor_message().unwrap();
        assert_eq!(kept.chars().count(), VENDOR_MESSAGE_MAX_CHARS + 1);
        assert!(kept.ends_with('…'));
    }

    #[test]
    fn empty_vendor_message_becomes_none() {
        let e = Error::bad_response("x").with_vendor_message(Some("   ".into()));
        assert_eq!(e.vendor_message(), None);
    }
}
