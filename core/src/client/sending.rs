//! The send path: which job goes next, what it needs first (a VSA 9 logon, an Autotask
//! zone or tenant usage reading), whether pacing lets it go, and signing the request.

use super::*;

/// What a job would send next.
enum Plan {
    /// A request, and why it is sent.
    Send(RequestSpec, Purpose),
    /// Nothing until another job's logon or zone discovery is answered.
    Blocked,
}

impl Client {
    /// The next action: an event to deliver, a request to send, a time to wait until, or
    /// None when nothing can happen until a response arrives (or no job is running).
    pub fn poll(&mut self, now_ms: u64) -> Option<Action> {
        self.pacer.observe(now_ms);
        'again: loop {
            if let Some(event) = self.events.pop_front() {
                return Some(Action::Event(event));
            }
            let mut earliest: Option<u64> = None;
            let mut wake_at = |t: u64| earliest = Some(earliest.map_or(t, |e: u64| e.min(t)));
            for job_id in self.jobs_in_turn() {
                if let Some(t) = self.jobs.get(&job_id).and_then(|j| j.not_before) {
                    if t > now_ms {
                        wake_at(t);
                        continue;
                    }
                }
                let (spec, purpose) = match self.plan(job_id, now_ms) {
                    Ok(Plan::Send(spec, purpose)) => (spec, purpose),
                    Ok(Plan::Blocked) => continue,
                    Err(error) => {
                        self.fail_job(job_id, error);
                        continue 'again;
                    }
                };
                let ticket = self.ticket(&spec);
                match self.pacer.gate(now_ms, &ticket) {
                    Gate::Open => {
                        return Some(Action::Send(
                            self.dispatch(job_id, spec, purpose, ticket, now_ms),
                        ))
                    }
                    Gate::Busy => continue,
                    Gate::Until(t) => wake_at(t),
                    Gate::Exhausted(until) => {
                        let error = self.pacer.budget_error(now_ms, until);
                        self.fail_job(job_id, error);
                        continue 'again;
                    }
                }
            }
            return earliest.map(|until_ms| Action::Wait { until_ms });
        }
    }

    /// Jobs not waiting for a response, starting after the one served last (turns).
    fn jobs_in_turn(&self) -> Vec<JobId> {
        let after = self.jobs.range(self.last_served.saturating_add(1)..);
        let before = self.jobs.range(..=self.last_served);
        after
            .chain(before)
            .filter(|(_, job)| !job.in_flight)
            .map(|(&id, _)| id)
            .collect()
    }

    /// Where a request counts for pacing: its class and Autotask entity, from its path
    /// below the API base.
    fn ticket(&self, spec: &RequestSpec) -> Ticket {
        let path = spec.url.path();
        let relative = self
            .current_base()
            .and_then(|base| path.strip_prefix(base.path()))
            .unwrap_or(path);
        Ticket {
            class: classify(self.vendor, spec.method, relative),
            key: concurrency_key(self.vendor, relative),
            sent_at: None,
        }
    }

    /// What job `job_id` sends next: its own request, or a logon, zone discovery or
    /// tenant usage reading it needs first. Changes nothing: `dispatch` does.
    fn plan(&self, job_id: JobId, now_ms: u64) -> Result<Plan, Error> {
        let base = match &self.access {
            Access::Static { base } => base.clone(),
            Access::Session { base, state } => match state {
                SessionState::Pending => return Ok(Plan::Blocked),
                SessionState::Ready { session, .. } if !session_needs_renewal(session, now_ms) => {
                    base.clone()
                }
                _ => {
                    let url = base
                        .join("auth")
                        .map_err(|_| Error::bad_response("Cannot build the /auth URL"))?;
                    return Ok(Plan::Send(RequestSpec::get(url), Purpose::Logon));
                }
            },
            Access::Zone(zone) => match (&zone.known, zone.pending) {
                (_, true) => return Ok(Plan::Blocked),
                (Some((url, _)), false) => url.clone(),
                (None, false) => {
                    let mut url = zone.discovery_url.clone();
                    let user = self.credentials.autotask_username().unwrap_or_default();
                    url.query_pairs_mut().clear().append_pair("user", user);
                    return Ok(Plan::Send(RequestSpec::get(url), Purpose::ZoneDiscovery));
                }
            },
        };
        let job = self
            .jobs
            .get(&job_id)
            .ok_or_else(|| Error::bad_response("job vanished"))?;
        let spec = match &job.kind {
            JobKind::Connection => connection_test_request(self.vendor, &base)?,
            JobKind::List(state) => {
                // A list that needed a second page is a long one: read how much of the
                // tenant's shared budget is left before going on (and every few minutes).
                if !self.tenant_usage_pending && self.pacer.tenant_check_due(now_ms, job.pages > 0)
                {
                    let url = crate::listing::join(&base, "ThresholdInformation")?;
                    return Ok(Plan::Send(RequestSpec::get(url), Purpose::TenantUsage));
                }
                state.request(&base)?
            }
        };
        let session_generation = match &self.access {
            Access::Session {
                state: SessionState::Ready { generation, .. },
                ..
            } => *generation,
            _ => 0,
        };
        Ok(Plan::Send(spec, Purpose::Job { session_generation }))
    }

    /// Signs `spec`, records it as in flight and marks what it is waiting for.
    fn dispatch(
        &mut self,
        job_id: JobId,
        spec: RequestSpec,
        purpose: Purpose,
        ticket: Ticket,
        now_ms: u64,
    ) -> Request {
        let id = self.next_request;
        self.next_request = self.next_request.wrapping_add(1).max(1);
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        headers.extend(spec.headers);
        match purpose {
            Purpose::Logon => {
                if let Access::Session { state, .. } = &mut self.access {
                    *state = SessionState::Pending;
                }
                if let Some(value) = self.credentials.vsa9_logon(&mut self.redactor) {
                    headers.push(("Authorization".into(), value.expose().to_string()));
                }
            }
            Purpose::ZoneDiscovery => {
                if let Access::Zone(zone) = &mut self.access {
                    zone.pending = true;
                }
            }
            Purpose::TenantUsage | Purpose::Job { .. } => {
                if purpose == Purpose::TenantUsage {
                    self.tenant_usage_pending = true;
                }
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
        let mut ticket = ticket;
        self.pacer.on_send(now_ms, &mut ticket);
        self.in_flight.insert(
            id,
            InFlight {
                job: job_id,
                purpose,
                method: spec.method,
                url: spec.url.clone(),
                base,
                ticket,
            },
        );
        self.last_served = job_id;
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.requests_made += 1;
            job.started_at_ms.get_or_insert(now_ms);
            if matches!(purpose, Purpose::Job { .. }) {
                job.in_flight = true;
                job.attempts += 1;
                job.first_attempt_ms.get_or_insert(self.pacer.clock());
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
}

/// Renew when less than a minute is left of the session.
fn session_needs_renewal(session: &vsa9::Session, now_ms: u64) -> bool {
    session.expires_at_ms.is_some_and(|t| {
        i64::try_from(now_ms)
            .unwrap_or(i64::MAX)
            .saturating_add(vsa9::RENEW_BEFORE_EXPIRY_MS)
            >= t
    })
}
