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
use crate::pacing::{Gate, Pacer};
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// Permit `http://` for loopback hosts (127.0.0.0/8, ::1, localhost): the simulator.
    pub allow_insecure_loopback: bool,
    /// Seed for retry jitter, so runs are reproducible.
    pub jitter_seed: u64,
    /// Autotask zone discovery endpoint (tests point it at a local server).
    pub zone_discovery_url: Option<String>,
    /// How Autotask lists page past the first 500 records.
    pub autotask_paging: AutotaskPaging,
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
    Job { session_generation: u32 },
}

#[derive(Debug, Clone)]
struct InFlight {
    job: JobId,
    purpose: Purpose,
    method: Method,
    url: Url,
    base: Option<Url>,
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
    requests_made: u32,
    items: u64,
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

impl Client {
    /// A Kaseya VSA X client. `tenant_url` is what the user pasted (`acme.vsax.net`,
    /// `https://acme.vsax.net/api/v3/`, ...).
    pub fn vsax(
        tenant_url: &str,
        token_id: &str,
        token_secret: &str,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsax;
        let base = normalize_tenant_url(vendor, tenant_url, options.allow_insecure_loopback)?;
        let id = check_basic_user("token_id", token_id, vendor)?;
        let secret = check_field("token_secret", token_secret, vendor)?;
        let credentials = Credentials::Basic {
            authorization: Secret::new(basic_credentials(&id, &secret)),
            secret: Secret::new(secret),
        };
        Ok(Client::build(
            vendor,
            credentials,
            Access::Static { base },
            options,
        ))
    }

    /// A Kaseya VSA 9 REST client. `token` is the personal access token (`Vsa9Auth::Pat`)
    /// or the password (`Vsa9Auth::Password`).
    pub fn vsa9(
        server_url: &str,
        username: &str,
        token: &str,
        auth: Vsa9Auth,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsa9;
        let base = normalize_tenant_url(vendor, server_url, options.allow_insecure_loopback)?;
        let username = check_basic_user("username", username, vendor)?;
        let token_name = match auth {
            Vsa9Auth::Pat => "token",
            Vsa9Auth::Password { .. } => "password",
        };
        let token = check_field(token_name, token, vendor)?;
        let credentials = Credentials::Vsa9 {
            username,
            token: Secret::new(token),
            auth,
            logons: 0,
        };
        let access = Access::Session {
            base,
            state: SessionState::None,
        };
        Ok(Client::build(vendor, credentials, access, options))
    }

    /// A Kaseya VSA 9 Data Warehouse client (token with the "Data Warehouse API" scope).
    pub fn vsa9_warehouse(
        server_url: &str,
        username: &str,
        token: &str,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsa9Warehouse;
        let base = normalize_tenant_url(vendor, server_url, options.allow_insecure_loopback)?;
        let username = check_basic_user("username", username, vendor)?;
        let token = check_field("token", token, vendor)?;
        let credentials = Credentials::Basic {
            authorization: Secret::new(basic_credentials(&username, &token)),
            secret: Secret::new(token),
        };
        Ok(Client::build(
            vendor,
            credentials,
            Access::Static { base },
            options,
        ))
    }

    /// An Autotask PSA client. Without `zone_url` the first request discovers the zone.
    pub fn autotask(
        username: &str,
        secret: &str,
        integration_code: &str,
        zone_url: Option<&str>,
        impersonation_resource_id: Option<u64>,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Autotask;
        let username = check_field("username", username, vendor)?;
        let secret = check_field("secret", secret, vendor)?;
        let integration_code = check_field("integration_code", integration_code, vendor)?;
        let loopback = options.allow_insecure_loopback;
        let discovery_url = validate_zone_discovery_url(
            options
                .zone_discovery_url
                .as_deref()
                .unwrap_or(DEFAULT_ZONE_DISCOVERY_URL),
            loopback,
        )?;
        let known = match zone_url.map(str::trim).filter(|z| !z.is_empty()) {
            Some(z) => Some((
                normalize_autotask_zone_url(z, loopback, UrlSource::User)?,
                ZoneOrigin::Configured,
            )),
            None => None,
        };
        let credentials = Credentials::Autotask {
            username,
            secret: Secret::new(secret),
            integration_code: Secret::new(integration_code),
            impersonation_resource_id,
        };
        let access = Access::Zone(ZoneState {
            known,
            pending: false,
            discovery_url,
        });
        Ok(Client::build(vendor, credentials, access, options))
    }

    fn build(
        vendor: Vendor,
        credentials: Credentials,
        access: Access,
        options: ClientOptions,
    ) -> Client {
        let mut redactor = Redactor::default();
        credentials.register(&mut redactor);
        Client {
            vendor,
            credentials,
            access,
            options,
            redactor,
            pacer: Pacer::default(),
            jobs: BTreeMap::new(),
            in_flight: HashMap::new(),
            events: VecDeque::new(),
            next_job: 1,
            next_request: 1,
            last_served: 0,
        }
    }

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
                requests_made: 0,
                items: 0,
                started_at_ms: None,
                auth_retry_used: false,
                rediscovery: None,
            },
        );
        id
    }

    /// The next action: an event to deliver, a request to send, a time to wait until, or
    /// None when nothing can happen until a response arrives (or no job is running).
    pub fn poll(&mut self, now_ms: u64) -> Option<Action> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(Action::Event(event));
            }
            let (job_id, wait_until) = self.next_ready_job(now_ms);
            let Some(job_id) = job_id else {
                return wait_until.map(|until_ms| Action::Wait { until_ms });
            };
            match self.pacer.gate(now_ms) {
                Gate::Busy => return None,
                Gate::Until(until_ms) => return Some(Action::Wait { until_ms }),
                Gate::Open => {}
            }
            match self.prepare(job_id, now_ms) {
                Ok(Some((spec, purpose))) => {
                    return Some(Action::Send(self.dispatch(job_id, spec, purpose, now_ms)))
                }
                Ok(None) => return None,
                Err(error) => self.fail_job(job_id, error),
            }
        }
    }

    /// The next job that wants to send (taking turns), or the earliest instant one will.
    fn next_ready_job(&self, now_ms: u64) -> (Option<JobId>, Option<u64>) {
        let mut earliest: Option<u64> = None;
        let waiting = |job: &Job| !job.in_flight;
        let after = self.jobs.range(self.last_served.saturating_add(1)..);
        let before = self.jobs.range(..=self.last_served);
        for (&id, job) in after.chain(before).filter(|(_, j)| waiting(j)) {
            match job.not_before {
                Some(t) if t > now_ms => earliest = Some(earliest.map_or(t, |e| e.min(t))),
                _ => return (Some(id), None),
            }
        }
        (None, earliest)
    }

    /// What job `job_id` sends next: its own request, or a logon / zone discovery it
    /// needs first. None while another job's logon or discovery is under way.
    fn prepare(
        &mut self,
        job_id: JobId,
        now_ms: u64,
    ) -> Result<Option<(RequestSpec, Purpose)>, Error> {
        let base = match &mut self.access {
            Access::Static { base } => base.clone(),
            Access::Session { base, state } => {
                let expired = |s: &vsa9::Session| {
                    s.expires_at_ms.is_some_and(|t| {
                        i64::try_from(now_ms)
                            .unwrap_or(i64::MAX)
                            .saturating_add(vsa9::RENEW_BEFORE_EXPIRY_MS)
                            >= t
                    })
                };
                match state {
                    SessionState::Pending => return Ok(None),
                    SessionState::Ready { session, .. } if !expired(session) => base.clone(),
                    _ => {
                        let url = base
                            .join("auth")
                            .map_err(|_| Error::bad_response("Cannot build the /auth URL"))?;
                        *state = SessionState::Pending;
                        return Ok(Some((RequestSpec::get(url), Purpose::Logon)));
                    }
                }
            }
            Access::Zone(zone) => match (&zone.known, zone.pending) {
                (_, true) => return Ok(None),
                (Some((url, _)), false) => url.clone(),
                (None, false) => {
                    zone.pending = true;
                    let mut url = zone.discovery_url.clone();
                    let user = self.credentials.autotask_username().unwrap_or_default();
                    url.query_pairs_mut().clear().append_pair("user", user);
                    return Ok(Some((RequestSpec::get(url), Purpose::ZoneDiscovery)));
                }
            },
        };
        let session_generation = match &self.access {
            Access::Session {
                state: SessionState::Ready { generation, .. },
                ..
            } => *generation,
            _ => 0,
        };
        let job = self
            .jobs
            .get(&job_id)
            .ok_or_else(|| Error::bad_response("job vanished"))?;
        let spec = match &job.kind {
            JobKind::Connection => connection_test_request(self.vendor, &base)?,
            JobKind::List(state) => state.request(&base)?,
        };
        Ok(Some((spec, Purpose::Job { session_generation })))
    }

    /// Signs `spec` and records it as in flight.
    fn dispatch(
        &mut self,
        job_id: JobId,
        spec: RequestSpec,
        purpose: Purpose,
        now_ms: u64,
    ) -> Request {
        let id = self.next_request;
        self.next_request = self.next_request.wrapping_add(1).max(1);
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        headers.extend(spec.headers);
        match purpose {
            Purpose::Logon => {
                if let Some(value) = self.credentials.vsa9_logon(&mut self.redactor) {
                    headers.push(("Authorization".into(), value.expose().to_string()));
                }
            }
            Purpose::ZoneDiscovery => {}
            Purpose::Job { .. } => {
                let session = match &self.access {
                    Access::Session {
                        state: SessionState::Ready { session, .. },
                        ..
                    } => Some(&session.token),
                    _ => None,
                };
                headers.extend(self.credentials.api_headers(session));
            }
        }
        let base = self.current_base().cloned();
        self.in_flight.insert(
            id,
            InFlight {
                job: job_id,
                purpose,
                method: spec.method,
                url: spec.url.clone(),
                base,
            },
        );
        self.pacer.on_send(now_ms);
        self.last_served = job_id;
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.requests_made += 1;
            job.started_at_ms.get_or_insert(now_ms);
            if matches!(purpose, Purpose::Job { .. }) {
                job.in_flight = true;
                job.attempts += 1;
                job.not_before = None;
            }
        }
        Request {
            id,
            method: spec.method,
            url: spec.url.to_string(),
            headers,
            body: spec.body,
        }
    }

    /// Feeds back the response to request `request_id`. `headers` are (name, value) pairs;
    /// `body` the raw bytes. Fails only when the id is not in flight (a host bug).
    pub fn handle_response(
        &mut self,
        request_id: RequestId,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), Error> {
        let flight = self.take_in_flight(request_id, now_ms)?;
        let success = (200..=299).contains(&status);
        match flight.purpose {
            Purpose::Logon => {
                let result = if success {
                    let server_date = header(headers, "date").and_then(parse_http_date_ms);
                    vsa9::parse_session(body, now_ms, server_date)
                } else {
                    Err(error_for_status(
                        self.vendor,
                        status,
                        "a session",
                        vendor_message(body),
                    ))
                };
                self.on_logon(result);
            }
            Purpose::ZoneDiscovery => {
                let result = if success {
                    autotask::parse_zone(body).and_then(|url| {
                        normalize_autotask_zone_url(
                            &url,
                            self.options.allow_insecure_loopback,
                            UrlSource::Server,
                        )
                    })
                } else {
                    Err(error_for_status(
                        self.vendor,
                        status,
                        "zone information",
                        vendor_message(body),
                    ))
                };
                self.on_zone(result, now_ms);
            }
            Purpose::Job { session_generation } => {
                self.on_job_response(&flight, session_generation, status, body, now_ms)
            }
        }
        Ok(())
    }

    /// Feeds back a request that got no response. `message` is the host client's text.
    pub fn handle_transport_error(
        &mut self,
        request_id: RequestId,
        kind: TransportErrorKind,
        message: &str,
        now_ms: u64,
    ) -> Result<(), Error> {
        let flight = self.take_in_flight(request_id, now_ms)?;
        let host = flight.url.host_str().unwrap_or("the server").to_string();
        let remediation = match kind {
            TransportErrorKind::Timeout => {
                "The server did not answer in time. Check that this machine can reach it: a \
                 firewall, proxy or VPN may be blocking the connection; retry later if the \
                 server is overloaded."
            }
            TransportErrorKind::Connect => {
                "Could not connect. Check the URL's host name, DNS, and that a firewall, proxy \
                 or VPN lets this machine reach it over HTTPS."
            }
            TransportErrorKind::Other => {
                "The connection failed mid-request. Retry; if it persists, check proxies and \
                 the network path to the server."
            }
        };
        let error = Error::new(
            ErrorCode::Transport,
            format!(
                "The request to {host} failed ({}): {}",
                kind.as_str(),
                truncate_chars(message.trim(), 300)
            ),
            remediation,
        )
        .retryable(true);
        match flight.purpose {
            Purpose::Logon => self.on_logon(Err(error)),
            Purpose::ZoneDiscovery => self.on_zone(Err(error), now_ms),
            Purpose::Job { .. } => {
                self.retry_or_fail(flight.job, flight.method, &flight.url, error, now_ms)
            }
        }
        Ok(())
    }

    fn take_in_flight(&mut self, request_id: RequestId, now_ms: u64) -> Result<InFlight, Error> {
        let flight = self.in_flight.remove(&request_id).ok_or_else(|| {
            Error::config(
                format!("Request {request_id} is not in flight"),
                "Pass the id of a request that poll returned and that has not been answered yet.",
            )
        })?;
        self.pacer.on_complete(now_ms);
        if let Some(job) = self.jobs.get_mut(&flight.job) {
            if matches!(flight.purpose, Purpose::Job { .. }) {
                job.in_flight = false;
            }
        }
        Ok(flight)
    }

    fn on_logon(&mut self, result: Result<vsa9::Session, Error>) {
        let Access::Session { state, .. } = &mut self.access else {
            return;
        };
        let generation = match state {
            SessionState::Ready { generation, .. } => *generation,
            _ => 0,
        };
        match result {
            Ok(session) => {
                self.redactor.add(session.token.expose());
                *state = SessionState::Ready {
                    session,
                    generation: generation + 1,
                };
            }
            Err(error) => {
                *state = SessionState::None;
                self.fail_waiting_jobs(error);
            }
        }
    }

    fn on_zone(&mut self, result: Result<Url, Error>, now_ms: u64) {
        let Access::Zone(zone) = &mut self.access else {
            return;
        };
        zone.pending = false;
        match result {
            Ok(url) => {
                zone.known = Some((url.clone(), ZoneOrigin::Discovered { at_ms: now_ms }));
                // A job that re-discovered after a 401 and found the same zone has wrong
                // credentials, not a stale zone: retrying would only fail again.
                let same_zone: Vec<(JobId, Error)> = self
                    .jobs
                    .iter_mut()
                    .filter_map(|(&id, job)| {
                        let (error, old) = job.rediscovery.take()?;
                        (old == url).then_some((id, error))
                    })
                    .collect();
                for (id, error) in same_zone {
                    self.fail_job(id, error);
                }
            }
            Err(error) => self.fail_waiting_jobs(error),
        }
    }

    /// A logon or zone discovery failed: every job waiting to send fails with it.
    fn fail_waiting_jobs(&mut self, error: Error) {
        let waiting: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, job)| !job.in_flight)
            .map(|(&id, _)| id)
            .collect();
        for id in waiting {
            self.fail_job(id, error.clone());
        }
    }

    fn on_job_response(
        &mut self,
        flight: &InFlight,
        session_generation: u32,
        status: u16,
        body: &[u8],
        now_ms: u64,
    ) {
        let vendor = self.vendor;
        let Some(job) = self.jobs.get_mut(&flight.job) else {
            return;
        };
        let what = match &job.kind {
            JobKind::Connection => connection_test_what(vendor).to_string(),
            JobKind::List(state) => state.plan.resource().to_string(),
        };
        if (200..=299).contains(&status) {
            match &mut job.kind {
                JobKind::Connection => match crate::listing::parse_connection_test(vendor, body) {
                    Ok(count) => return self.finish_connection(flight.job, count),
                    Err(e) => return self.on_job_error(flight, session_generation, e, now_ms),
                },
                JobKind::List(state) => {
                    let base = flight.base.clone().unwrap_or_else(|| flight.url.clone());
                    let outcome = state
                        .parse(body)
                        .and_then(|page| state.advance(page, &base, &flight.url));
                    match outcome {
                        Ok(page) => {
                            job.attempts = 0;
                            // One renewal per 401 is counted per failure, not per job: a
                            // long list may lose its session more than once, with
                            // successes in between, and still never loop.
                            job.auth_retry_used = false;
                            job.items += page.items.len() as u64;
                            let (done, requests_made, items) =
                                (page.done, job.requests_made, job.items);
                            self.events.push_back(Event::Page(Page {
                                job: flight.job,
                                items: page.items,
                                total: page.total,
                                page_number: page.page_number,
                                cursor: page.cursor,
                            }));
                            if done {
                                self.jobs.remove(&flight.job);
                                self.events.push_back(Event::Done {
                                    job: flight.job,
                                    requests_made,
                                    items,
                                });
                            }
                        }
                        Err(e) => self.on_job_error(flight, session_generation, e, now_ms),
                    }
                    return;
                }
            }
        }
        let error = error_for_status(vendor, status, &what, vendor_message(body));
        self.on_job_error(flight, session_generation, error, now_ms);
    }

    /// A job's request failed: renew the session or re-discover the zone once on a 401,
    /// let the pacer decide on a retry, or fail the job.
    fn on_job_error(
        &mut self,
        flight: &InFlight,
        session_generation: u32,
        error: Error,
        now_ms: u64,
    ) {
        let Some(job) = self.jobs.get_mut(&flight.job) else {
            return;
        };
        if error.code() == ErrorCode::Unauthorized && !job.auth_retry_used {
            match &mut self.access {
                Access::Session { state, .. } => {
                    job.auth_retry_used = true;
                    job.attempts = 0;
                    // Only drop the session this request used; another job may already
                    // have renewed it.
                    if matches!(state, SessionState::Ready { generation, .. } if *generation == session_generation)
                    {
                        *state = SessionState::None;
                    }
                    return;
                }
                Access::Zone(zone) => {
                    let fresh = matches!(zone.known, Some((_, ZoneOrigin::Discovered { at_ms })) if job.started_at_ms.is_some_and(|s| at_ms >= s));
                    let configured = matches!(zone.known, Some((_, ZoneOrigin::Configured)));
                    if let (false, false, Some((old, _))) = (fresh, configured, zone.known.clone())
                    {
                        job.auth_retry_used = true;
                        job.attempts = 0;
                        job.rediscovery = Some((error, old));
                        zone.known = None;
                        return;
                    }
                }
                Access::Static { .. } => {}
            }
        }
        self.retry_or_fail(flight.job, flight.method, &flight.url, error, now_ms);
    }

    /// Retries a safe request when the pacer allows it, else fails the job.
    fn retry_or_fail(
        &mut self,
        job_id: JobId,
        method: Method,
        url: &Url,
        error: Error,
        now_ms: u64,
    ) {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        if error.is_retryable() && safe_to_repeat(method, url) {
            if let Some(at) = self.pacer.retry_at(&error, job.attempts, now_ms) {
                job.not_before = Some(at);
                return;
            }
        }
        self.fail_job(job_id, error);
    }

    fn finish_connection(&mut self, job_id: JobId, count: Option<u64>) {
        let Some(job) = self.jobs.remove(&job_id) else {
            return;
        };
        let name = self.vendor.display_name();
        let noun = match self.vendor {
            Vendor::Autotask => ("company", "companies"),
            _ => ("organization", "organizations"),
        };
        let message = match count {
            Some(1) => format!("Connected to {name}: 1 {}", noun.0),
            Some(n) => format!("Connected to {name}: {n} {}", noun.1),
            None => format!("Connected to {name}"),
        };
        self.events.push_back(Event::Connection {
            job: job_id,
            report: ConnectionReport {
                ok: true,
                vendor: self.vendor,
                base_url: self.base_url(),
                organization_count: count,
                message,
                error: None,
                requests_made: job.requests_made,
            },
        });
    }

    /// Ends a job with `error` (scrubbed of every known secret).
    fn fail_job(&mut self, job_id: JobId, error: Error) {
        let Some(job) = self.jobs.remove(&job_id) else {
            return;
        };
        let error = error.map_text(|t| self.redactor.scrub(t));
        let event = match job.kind {
            JobKind::Connection => Event::Connection {
                job: job_id,
                report: ConnectionReport {
                    ok: false,
                    vendor: self.vendor,
                    base_url: self.base_url(),
                    organization_count: None,
                    message: format!(
                        "Could not connect to {}: {}",
                        self.vendor.display_name(),
                        error.message()
                    ),
                    error: Some(error),
                    requests_made: job.requests_made,
                },
            },
            JobKind::List(_) => Event::Failed {
                job: job_id,
                error,
                requests_made: job.requests_made,
            },
        };
        self.events.push_back(event);
    }

    /// Non-secret state worth keeping between runs (the Autotask zone; pacing state once
    /// it exists), as a JSON string. Never contains a secret or a session token.
    pub fn export_state(&self) -> String {
        let zone = match &self.access {
            Access::Zone(ZoneState {
                known: Some((url, origin)),
                ..
            }) if *origin != ZoneOrigin::Configured => Some(url.as_str()),
            _ => None,
        };
        crate::state::export(self.vendor, zone)
    }

    /// Merges state from [`Client::export_state`] (of this or another process). A zone
    /// already known or configured here wins over an imported one.
    pub fn import_state(&mut self, state: &str) -> Result<(), Error> {
        let imported = crate::state::import(state, self.vendor)?;
        if let (Some(zone_text), Access::Zone(zone)) = (imported.autotask_zone, &mut self.access) {
            let url = normalize_autotask_zone_url(
                &zone_text,
                self.options.allow_insecure_loopback,
                UrlSource::Server,
            )?;
            if zone.known.is_none() && !zone.pending {
                zone.known = Some((url, ZoneOrigin::Imported));
            }
        }
        Ok(())
    }
}

/// Only reads are repeated: GETs, and Autotask's query POSTs (`.../query`,
/// `.../query/count`, `.../query/next`), which read despite their method.
fn safe_to_repeat(method: Method, url: &Url) -> bool {
    match method {
        Method::Get => true,
        Method::Post => {
            let path = url.path().trim_end_matches('/');
            path.ends_with("/query")
                || path.ends_with("/query/count")
                || path.ends_with("/query/next")
        }
    }
}

/// The first value of header `name` (case-insensitive).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
