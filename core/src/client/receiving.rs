//! The receive path: responses and transport errors become pages, reports, renewals,
//! retries or failures.

use super::*;
use crate::request::header_value;

impl Client {
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
        let success = (200..=299).contains(&status);
        let outcome = if success {
            Outcome::Success
        } else {
            Outcome::Failed {
                rate_limited: status == 429,
            }
        };
        let flight = self.take_in_flight(request_id, outcome, now_ms)?;
        let retry_after = header_value(headers, "retry-after")
            .and_then(|v| retry_after_ms(v, header_value(headers, "date"), now_ms));
        let reply = Reply {
            retry_after,
            now_ms,
        };
        match flight.purpose {
            Purpose::Logon => {
                let result = if success {
                    let server_date = header_value(headers, "date").and_then(parse_http_date_ms);
                    vsa9::parse_session(body, now_ms, server_date)
                } else {
                    Err(error_for_status(
                        self.vendor,
                        status,
                        "a session",
                        vendor_message(body),
                    ))
                };
                self.on_logon(&flight, result, reply);
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
                self.on_zone(&flight, result, reply);
            }
            Purpose::TenantUsage => {
                self.tenant_usage_pending = false;
                let usage = if success {
                    autotask::parse_threshold(body).ok()
                } else {
                    None
                };
                match usage {
                    Some(usage) => self.pacer.on_tenant_usage(now_ms, usage),
                    // The reading only tunes the pace: without it the configured share
                    // still applies. Try again at the next check.
                    None => self.pacer.on_tenant_usage_unknown(now_ms),
                }
                if !success {
                    let error = error_for_status(self.vendor, status, "ThresholdInformation", None);
                    self.note_throttling(&flight.ticket, &error, reply);
                }
            }
            Purpose::Job { session_generation } => {
                self.on_job_response(&flight, session_generation, status, body, reply)
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
        let flight = self.take_in_flight(request_id, Outcome::Transport, now_ms)?;
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
        let reply = Reply {
            retry_after: None,
            now_ms,
        };
        match flight.purpose {
            Purpose::Logon => self.on_logon(&flight, Err(error), reply),
            Purpose::ZoneDiscovery => self.on_zone(&flight, Err(error), reply),
            Purpose::TenantUsage => {
                self.tenant_usage_pending = false;
                self.pacer.on_tenant_usage_unknown(now_ms);
            }
            Purpose::Job { .. } => self.retry_or_fail(&flight, error, reply),
        }
        Ok(())
    }

    fn take_in_flight(
        &mut self,
        request_id: RequestId,
        outcome: Outcome,
        now_ms: u64,
    ) -> Result<InFlight, Error> {
        let flight = self.in_flight.remove(&request_id).ok_or_else(|| {
            Error::config(
                format!("Request {request_id} is not in flight"),
                "Pass the id of a request that poll returned and that has not been answered yet.",
            )
        })?;
        self.pacer.on_complete(now_ms, &flight.ticket, outcome);
        if let Some(job) = self.jobs.get_mut(&flight.job) {
            if matches!(flight.purpose, Purpose::Job { .. }) {
                job.in_flight = false;
            }
        }
        Ok(flight)
    }

    /// A 429 (or Autotask's thread-limit message) means the server counts more than we
    /// do: slow the whole class down, not just this request.
    fn note_throttling(&mut self, ticket: &Ticket, error: &Error, reply: Reply) {
        if error.code() == ErrorCode::RateLimited {
            let pause = reply
                .retry_after
                .unwrap_or(self.options.pacing.retry.rate_limited_floor_ms);
            self.pacer.on_rate_limited(reply.now_ms, ticket, pause);
        }
    }

    fn on_logon(&mut self, flight: &InFlight, result: Result<vsa9::Session, Error>, reply: Reply) {
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
                self.prerequisite_attempts = None;
            }
            Err(error) => {
                *state = SessionState::None;
                self.prerequisite_failed(flight, error, reply);
            }
        }
    }

    fn on_zone(&mut self, flight: &InFlight, result: Result<Url, Error>, reply: Reply) {
        let Access::Zone(zone) = &mut self.access else {
            return;
        };
        zone.pending = false;
        match result {
            Ok(url) => {
                zone.known = Some((
                    url.clone(),
                    ZoneOrigin::Discovered {
                        at_ms: reply.now_ms,
                    },
                ));
                self.prerequisite_attempts = None;
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
            Err(error) => self.prerequisite_failed(flight, error, reply),
        }
    }

    /// A logon or zone discovery failed. A transient failure is retried (every waiting
    /// job waits for it); anything else fails every job waiting to send.
    fn prerequisite_failed(&mut self, flight: &InFlight, error: Error, reply: Reply) {
        self.note_throttling(&flight.ticket, &error, reply);
        let (attempts, first) = self
            .prerequisite_attempts
            .unwrap_or((0, self.pacer.clock()));
        let attempts = attempts + 1;
        let retry = self
            .pacer
            .retry_at(&error, attempts, first, reply.retry_after, reply.now_ms);
        let waiting: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, job)| !job.in_flight)
            .map(|(&id, _)| id)
            .collect();
        match retry {
            Some(at) => {
                self.prerequisite_attempts = Some((attempts, first));
                for id in waiting {
                    if let Some(job) = self.jobs.get_mut(&id) {
                        job.not_before = Some(job.not_before.map_or(at, |t| t.max(at)));
                    }
                }
            }
            None => {
                self.prerequisite_attempts = None;
                for id in waiting {
                    self.fail_job(id, error.clone());
                }
            }
        }
    }

    fn on_job_response(
        &mut self,
        flight: &InFlight,
        session_generation: u32,
        status: u16,
        body: &[u8],
        reply: Reply,
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
                    Err(e) => return self.on_job_error(flight, session_generation, e, reply),
                },
                JobKind::List(state) => {
                    let base = flight.base.clone().unwrap_or_else(|| flight.url.clone());
                    let outcome = state
                        .parse(body)
                        .and_then(|page| state.advance(page, &base, &flight.url));
                    match outcome {
                        Ok(page) => {
                            job.attempts = 0;
                            job.first_attempt_ms = None;
                            // One renewal per 401 is counted per failure, not per job: a
                            // long list may lose its session more than once, with
                            // successes in between, and still never loop.
                            job.auth_retry_used = false;
                            job.items += page.items.len() as u64;
                            job.pages += 1;
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
                        Err(e) => self.on_job_error(flight, session_generation, e, reply),
                    }
                    return;
                }
            }
        }
        let error = error_for_status(vendor, status, &what, vendor_message(body));
        self.on_job_error(flight, session_generation, error, reply);
    }

    /// A job's request failed: renew the session or re-discover the zone once on a 401,
    /// let the pacer decide on a retry, or fail the job.
    fn on_job_error(
        &mut self,
        flight: &InFlight,
        session_generation: u32,
        error: Error,
        reply: Reply,
    ) {
        self.note_throttling(&flight.ticket, &error, reply);
        let Some(job) = self.jobs.get_mut(&flight.job) else {
            return;
        };
        if error.code() == ErrorCode::Unauthorized && !job.auth_retry_used {
            match &mut self.access {
                Access::Session { state, .. } => {
                    job.auth_retry_used = true;
                    job.attempts = 0;
                    job.first_attempt_ms = None;
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
                        job.first_attempt_ms = None;
                        job.rediscovery = Some((error, old));
                        zone.known = None;
                        return;
                    }
                }
                Access::Static { .. } => {}
            }
        }
        self.retry_or_fail(flight, error, reply);
    }

    /// Retries a request that is safe to repeat when the pacer allows it (transient
    /// failure, attempts and total time left), else fails the job.
    fn retry_or_fail(&mut self, flight: &InFlight, error: Error, reply: Reply) {
        let Some(job) = self.jobs.get_mut(&flight.job) else {
            return;
        };
        if safe_to_repeat(flight.method, &flight.url) {
            let first = job.first_attempt_ms.unwrap_or(self.pacer.clock());
            if let Some(at) =
                self.pacer
                    .retry_at(&error, job.attempts, first, reply.retry_after, reply.now_ms)
            {
                job.not_before = Some(at);
                return;
            }
        }
        self.fail_job(flight.job, error);
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
    pub(super) fn fail_job(&mut self, job_id: JobId, error: Error) {
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
}

/// What the response said about timing, passed down the receive path.
#[derive(Debug, Clone, Copy)]
struct Reply {
    /// The server's Retry-After, as a delay.
    retry_after: Option<u64>,
    now_ms: u64,
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
