//! The receive path: responses and transport errors become pages, reports, renewals,
//! retries or failures.

use super::*;

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
