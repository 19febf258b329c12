//! The send path: which job goes next, what it needs first (a VSA 9 logon, an
//! Autotask zone), and signing the request.

use super::*;

impl Client {
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
}
