//! The client: one tenant connection, several jobs, no I/O. The host calls `poll` for the
//! next action, performs requests with its own HTTP client, and feeds back responses.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use url::Url;

use crate::auth::{check_basic_user, check_field, Credentials, Vsa9Auth};
use crate::classify::error_for_status;
use crate::error::truncate_chars;
use crate::event::{Action, ConnectionReport, Event, JobId, Page, TransportErrorKind};
use crate::listing::{
    connection_test_request, connection_test_what, AutotaskPaging, ListOptions, ListPlan, ListState,
};
use crate::pacing::{
    classify, concurrency_key, retry_after_ms, Gate, Outcome, Pacer, PacingOptions, Ticket,
};
use crate::request::{Method, Request, RequestId, RequestSpec};
use crate::secret::{Redactor, Secret};
use crate::tenant_url::{
    normalize_autotask_zone_url, normalize_tenant_url, validate_zone_discovery_url, UrlSource,
    DEFAULT_ZONE_DISCOVERY_URL,
};
use crate::timestamp::parse_http_date_ms;
use crate::vendors::{autotask, basic_credentials, vendor_message, vsa9};
use crate::{Error, ErrorCode, Vendor};

/// Options shared by every constructor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientOptions {
    /// Permit `http://` for loopback hosts (127.0.0.0/8, ::1, localhost): the simulator.
    pub allow_insecure_loopback: bool,
    /// Seed for retry jitter (and the default pacing instance name), so runs are
    /// reproducible. Give every process that shares pacing state a different seed.
    pub jitter_seed: u64,
    /// Autotask zone discovery endpoint (tests point it at a local server).
    pub zone_discovery_url: Option<String>,
    /// How Autotask lists page past the first 500 records.
    pub autotask_paging: AutotaskPaging,
    /// Rate limits, failed-request guard, retries and waits.
    pub pacing: PacingOptions,
}

/// The VSA 9 session, shared by all jobs of the client.
#[derive(Debug, Clone)]
enum SessionState {
    None,
    Pending,
    Ready {
        session: vsa9::Session,
        generation: u32,
    },
}

/// Where the Autotask zone came from decides whether a 401 is worth a re-discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZoneOrigin {
    Configured,
    Imported,
    Discovered { at_ms: u64 },
}

#[derive(Debug, Clone)]
struct ZoneState {
    known: Option<(Url, ZoneOrigin)>,
    pending: bool,
    discovery_url: Url,
}

/// What a vendor needs before a job's request can be signed.
#[derive(Debug, Clone)]
enum Access {
    /// Static credentials on every request (VSA X, Data Warehouse).
    Static { base: Url },
    /// VSA 9: a session first.
    Session { base: Url, state: SessionState },
    /// Autotask: the zone first.
    Zone(ZoneState),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Logon,
    ZoneDiscovery,
    /// Autotask ThresholdInformation: how much of the tenant's hourly budget is left.
    TenantUsage,
    Job {
        session_generation: u32,
    },
}

#[derive(Debug, Clone)]
struct InFlight {
    job: JobId,
    purpose: Purpose,
    method: Method,
    url: Url,
    base: Option<Url>,
    ticket: Ticket,
}

#[derive(Debug, Clone)]
enum JobKind {
    Connection,
    List(Box<ListState>),
}

#[derive(Debug, Clone)]
struct Job {
    kind: JobKind,
    in_flight: bool,
    /// The pacer's retry decision: not before this instant.
    not_before: Option<u64>,
    /// Attempts of the current request (1 after the first send).
    attempts: u32,
    /// When the current request was first sent (bounds its total retry time).
    first_attempt_ms: Option<u64>,
    requests_made: u32,
    items: u64,
    /// Pages this job delivered.
    pages: u32,
    /// When the job first sent; a zone discovered since then is fresh for it.
    started_at_ms: Option<u64>,
    /// A 401 was already answered with a renewal or re-discovery: the next one is final.
    auth_retry_used: bool,
    /// The 401 that sent this job to re-discover the zone, and the zone it came from.
    rediscovery: Option<(Error, Url)>,
}

/// One connection to one tenant. See the crate docs for the host loop.
pub struct Client {
    vendor: Vendor,
    credentials: Credentials,
    access: Access,
    options: ClientOptions,
    redactor: Redactor,
    pacer: Pacer,
    jobs: BTreeMap<JobId, Job>,
    in_flight: HashMap<RequestId, InFlight>,
    events: VecDeque<Event>,
    next_job: JobId,
    next_request: RequestId,
    /// The job served last, so jobs take turns.
    last_served: JobId,
    /// An Autotask ThresholdInformation request is in flight.
    tenant_usage_pending: bool,
    /// Consecutive transient failures of the logon / zone discovery, and when the first
    /// was sent: they are retried like a job's request.
    prerequisite_attempts: Option<(u32, u64)>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url())
            .field("jobs", &self.jobs.len())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

mod constructors;
mod receiving;
mod sending;

impl Client {
    /// Which API this client talks to.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The normalised API base (`https://acme.vsax.net/api/v3/`); for Autotask the zone
    /// (`https://webservices15.autotask.net/ATServicesRest/V1.0/`) once known.
    pub fn base_url(&self) -> Option<String> {
        self.current_base().map(|u| u.to_string())
    }

    fn current_base(&self) -> Option<&Url> {
        match &self.access {
            Access::Static { base } | Access::Session { base, .. } => Some(base),
            Access::Zone(zone) => zone.known.as_ref().map(|(url, _)| url),
        }
    }

    /// True when no job is running and no event is waiting.
    pub fn is_idle(&self) -> bool {
        self.jobs.is_empty() && self.events.is_empty()
    }

    /// Starts a connection test: reads the organisation count with the least requests.
    /// Ends with one `Event::Connection`.
    pub fn start_test_connection(&mut self) -> JobId {
        self.add_job(JobKind::Connection)
    }

    /// Starts listing `resource` (VSA X: `devices`; VSA 9: `system/orgs`; Data Warehouse:
    /// `Agents`; Autotask: `Companies`). Invalid options fail here, before anything is
    /// sent. Ends with `Event::Done` or `Event::Failed`, after zero or more `Event::Page`.
    pub fn start_list(&mut self, resource: &str, options: &ListOptions) -> Result<JobId, Error> {
        let plan = ListPlan::new(self.vendor, resource, options, self.options.autotask_paging)?;
        let state = ListState::new(plan, options.cursor.as_deref())?;
        let finished = state.is_done();
        let job = self.add_job(JobKind::List(Box::new(state)));
        if finished {
            // The cursor came from the last page: the rest is nothing.
            self.jobs.remove(&job);
            self.events.push_back(Event::Done {
                job,
                requests_made: 0,
                items: 0,
            });
        }
        Ok(job)
    }

    /// Stops job `job` (a host that stops reading a list early): it sends nothing more
    /// and its undelivered events are dropped. A request of it still in flight may be
    /// handed back as usual (it counts for pacing; its answer is ignored) or not at all.
    /// Returns false when the job had already ended and delivered everything.
    pub fn cancel(&mut self, job: JobId) -> bool {
        let running = self.jobs.remove(&job).is_some();
        let queued = self.events.len();
        self.events.retain(|event| event.job() != job);
        running || self.events.len() != queued
    }

    fn add_job(&mut self, kind: JobKind) -> JobId {
        let id = self.next_job;
        self.next_job = self.next_job.wrapping_add(1).max(1);
        self.jobs.insert(
            id,
            Job {
                kind,
                in_flight: false,
                not_before: None,
                attempts: 0,
                first_attempt_ms: None,
                requests_made: 0,
                items: 0,
                pages: 0,
                started_at_ms: None,
                auth_retry_used: false,
                rediscovery: None,
            },
        );
        id
    }

    /// Non-secret state worth keeping between runs or sharing between processes: the
    /// Autotask zone and the pacing counts (recent sends and failures), as a JSON string.
    /// Never contains a secret or a session token.
    pub fn export_state(&self) -> String {
        let zone = match &self.access {
            Access::Zone(ZoneState {
                known: Some((url, origin)),
                ..
            }) if *origin != ZoneOrigin::Configured => Some(url.as_str()),
            _ => None,
        };
        crate::state::export(self.vendor, zone, self.pacer.export())
    }

    /// Merges state from [`Client::export_state`] of this or another process: their
    /// sends and failures count against the same limits from now on. A zone already known
    /// or configured here wins over an imported one. On error nothing is changed.
    pub fn import_state(&mut self, state: &str) -> Result<(), Error> {
        let imported = crate::state::import(state, self.vendor)?;
        let zone_url = match (&imported.autotask_zone, &self.access) {
            (Some(text), Access::Zone(_)) => Some(normalize_autotask_zone_url(
                text,
                self.options.allow_insecure_loopback,
                UrlSource::Server,
            )?),
            _ => None,
        };
        if let Some(pacing) = &imported.pacing {
            self.pacer.import(pacing)?;
        }
        if let (Some(url), Access::Zone(zone)) = (zone_url, &mut self.access) {
            if zone.known.is_none() && !zone.pending {
                zone.known = Some((url, ZoneOrigin::Imported));
            }
        }
        Ok(())
    }
}
