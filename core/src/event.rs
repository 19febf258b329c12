//! What `poll` hands the host: a request to send, a time to wait until, or an event.

use crate::items::Items;
use crate::request::Request;
use crate::{Error, Vendor};

/// Identifies one job (a connection test or a list) of a client.
pub type JobId = u32;

/// The next thing the host should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this request, then call `handle_response` or `handle_transport_error`.
    Send(Request),
    /// Send nothing before `until_ms` (Unix ms); poll again then.
    Wait {
        /// The earliest instant at which polling can yield a request.
        until_ms: u64,
    },
    /// Something happened to a job.
    Event(Event),
}

/// One page of a list job.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The job this page belongs to.
    pub job: JobId,
    /// The records, as the vendor sent them (JSON text; `to_values()` parses them).
    pub items: Items,
    /// The vendor's total count for the whole list, when it sends one.
    pub total: Option<u64>,
    /// 1 for the first page of the list (continues across resumes).
    pub page_number: u32,
    /// Pass as `cursor` to a new list job to resume after this page.
    pub cursor: String,
}

/// The result of a connection test.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionReport {
    /// True when the credentials worked and the organisation count could be read.
    pub ok: bool,
    /// Which API was tested.
    pub vendor: Vendor,
    /// The normalised API base (for Autotask the zone, once known).
    pub base_url: Option<String>,
    /// Organisations (VSA X, VSA 9) or companies (Autotask); None where the vendor cannot
    /// say (Data Warehouse) or the test failed.
    pub organization_count: Option<u64>,
    /// One line for a person: "Connected to Kaseya VSA X: 42 organizations".
    pub message: String,
    /// Why it failed.
    pub error: Option<Error>,
    /// HTTP requests the test sent (session or zone discovery included).
    pub requests_made: u32,
}

/// Something that happened to a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A page of a list job. Pages come once each, in order.
    Page(Page),
    /// A list job delivered its last page.
    Done {
        /// The job.
        job: JobId,
        /// HTTP requests this job sent.
        requests_made: u32,
        /// Records delivered by this job (not counting those before its cursor).
        items: u64,
    },
    /// A list job stopped on an error; the cursor of its last page still resumes it.
    Failed {
        /// The job.
        job: JobId,
        /// Why.
        error: Error,
        /// HTTP requests this job sent.
        requests_made: u32,
    },
    /// A connection test finished (successfully or not: see `report.ok`).
    Connection {
        /// The job.
        job: JobId,
        /// The result.
        report: ConnectionReport,
    },
}

impl Event {
    /// "page", "done", "failed" or "connection".
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Page(_) => "page",
            Event::Done { .. } => "done",
            Event::Failed { .. } => "failed",
            Event::Connection { .. } => "connection",
        }
    }

    /// The job this event belongs to.
    pub fn job(&self) -> JobId {
        match self {
            Event::Page(p) => p.job,
            Event::Done { job, .. } | Event::Failed { job, .. } | Event::Connection { job, .. } => {
                *job
            }
        }
    }
}

/// How a host's HTTP request failed without a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// No (complete) response in time.
    Timeout,
    /// Could not connect: DNS, refused, TLS handshake.
    Connect,
    /// Anything else (reset mid-response, ...).
    Other,
}

impl TransportErrorKind {
    /// Parses "timeout" | "connect" | "other".
    pub fn parse(kind: &str) -> Result<Self, Error> {
        match kind.trim().to_ascii_lowercase().as_str() {
            "timeout" => Ok(TransportErrorKind::Timeout),
            "connect" => Ok(TransportErrorKind::Connect),
            "other" => Ok(TransportErrorKind::Other),
            _ => Err(Error::config(
                "The transport error kind must be \"timeout\", \"connect\" or \"other\"",
                "Pass one of those three kinds to handle_transport_error.",
            )),
        }
    }

    /// The kind as its stable string.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_kinds_parse_from_their_stable_strings() {
        for kind in [
            TransportErrorKind::Timeout,
            TransportErrorKind::Connect,
            TransportErrorKind::Other,
        ] {
            assert_eq!(TransportErrorKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert_eq!(
            TransportErrorKind::parse(" Timeout ").unwrap(),
            TransportErrorKind::Timeout
        );
        let e = TransportErrorKind::parse("dns").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidConfig);
    }
}
