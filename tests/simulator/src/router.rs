//! Which API a request is for, the counters around it, and the faults injected into it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::faults::{BodyStyle, FaultKind, RetryAfterForm};
use crate::http::{reason, Delivery, SimRequest, SimResponse};
use crate::limits::real;
use crate::sim::Sim;
use crate::stats::Outcome;
use crate::{control, vendors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Vsax,
    Vsa9,
    Warehouse,
    Autotask,
}

impl Api {
    pub fn id(self) -> &'static str {
        match self {
            Api::Vsax => "vsax",
            Api::Vsa9 => "vsa9",
            Api::Warehouse => "warehouse",
            Api::Autotask => "autotask",
        }
    }

    /// The path prefix each API lives under on the simulator's origin.
    pub fn prefix(self) -> &'static str {
        match self {
            Api::Vsax => "/api/v3",
            Api::Vsa9 => "/api/v1.0",
            Api::Warehouse => "/api/odata/1.0",
            Api::Autotask => "/ATServicesRest",
        }
    }

    fn of(path: &str) -> Option<Api> {
        [Api::Vsax, Api::Vsa9, Api::Warehouse, Api::Autotask]
            .into_iter()
            .find(|api| {
                let prefix = api.prefix();
                path.len() >= prefix.len()
                    && path[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && matches!(path.as_bytes().get(prefix.len()), None | Some(b'/'))
            })
    }
}

/// `vsax GET devices/{id}/notifications`: the counters' key, with ids folded.
fn endpoint_key(api: Api, req: &SimRequest) -> String {
    let segments = req.segments_after(api.prefix()).unwrap_or_default();
    let template: Vec<&str> = segments
        .iter()
        .map(|s| {
            let is_id = !s.is_empty()
                && (s.bytes().all(|b| b.is_ascii_digit())
                    || (s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')));
            if is_id {
                "{id}"
            } else {
                s.as_str()
            }
        })
        .collect();
    format!("{} {} {}", api.id(), req.method, template.join("/"))
}

/// Ends the request's counters however it ends, even if the client hangs up mid-wait.
struct Flight {
    sim: Arc<Sim>,
    api: Api,
    endpoint: String,
    outcome: Outcome,
}

impl Drop for Flight {
    fn drop(&mut self) {
        self.sim
            .lock()
            .stats
            .end(self.api.id(), &self.endpoint, self.outcome);
    }
}

pub async fn handle(sim: Arc<Sim>, req: SimRequest) -> SimResponse {
    if let Some(rest) = req.segments_after("/_sim") {
        return control::handle(&sim, &req, &rest);
    }
    let Some(api) = Api::of(&req.path) else {
        return SimResponse::html(404, "Not Found");
    };
    let endpoint = endpoint_key(api, &req);
    let fault = {
        let mut state = sim.lock();
        state.stats.begin(api.id(), &endpoint);
        state.faults.pick(api.id(), &req.method, &req.path)
    };
    let mut flight = Flight {
        sim: sim.clone(),
        api,
        endpoint,
        outcome: Outcome {
            fault: fault.is_some(),
            ..Default::default()
        },
    };
    let response = match fault {
        Some(FaultKind::Status { status, body }) => fault_status(api, status, body),
        Some(FaultKind::RateLimit {
            seconds,
            retry_after,
        }) => {
            let wait = real(seconds, sim.time_scale());
            vendors::rate_limited(api, wait, retry_after, "Rate limit exceeded")
        }
        Some(FaultKind::Reset) => SimResponse::reset(),
        Some(FaultKind::Slow { delay_ms }) => {
            let delay = Duration::from_millis(delay_ms);
            if api == Api::Autotask {
                // Held inside, so the slow request keeps its thread slot meanwhile.
                vendors::autotask::handle_delayed(&sim, &req, delay).await
            } else {
                tokio::time::sleep(delay).await;
                vendors::handle(&sim, api, &req).await
            }
        }
        Some(FaultKind::Truncate { connection }) => {
            let mut response = vendors::handle(&sim, api, &req).await;
            if connection {
                response.delivery = Delivery::CutConnection;
            } else {
                let half = response.body.len() / 2;
                response.body.truncate(half);
            }
            response
        }
        Some(FaultKind::ForeignNextLink { origin }) => {
            let response = vendors::handle(&sim, api, &req).await;
            vendors::move_next_link(api, &req, response, &origin)
        }
        None => vendors::handle(&sim, api, &req).await,
    };
    flight.outcome.status = (response.delivery != Delivery::Reset).then_some(response.status);
    flight.outcome.blocked = response.blocked;
    response
}

fn fault_status(api: Api, status: u16, body: BodyStyle) -> SimResponse {
    match body {
        BodyStyle::Json => vendors::error(api, status, reason(status)),
        BodyStyle::Html => SimResponse::html(status, reason(status)),
        BodyStyle::Text => SimResponse::text(status, reason(status)),
        BodyStyle::Empty => SimResponse::empty(status),
    }
}

/// The Retry-After value for a wait of `wait` (real time), in the asked form.
pub fn retry_after(wait: Duration, form: RetryAfterForm) -> Option<String> {
    // Whole seconds, rounded up, so a client that waits them never comes back early.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    match form {
        RetryAfterForm::Seconds => Some(secs.to_string()),
        RetryAfterForm::Date => Some(httpdate::fmt_http_date(
            SystemTime::now() + Duration::from_secs(secs + 1),
        )),
        RetryAfterForm::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apis_by_prefix_and_ids_folded() {
        assert_eq!(Api::of("/api/v3/devices"), Some(Api::Vsax));
        assert_eq!(Api::of("/API/V1.0/auth"), Some(Api::Vsa9));
        assert_eq!(Api::of("/api/odata/1.0/Agents"), Some(Api::Warehouse));
        assert_eq!(Api::of("/atservicesrest/V1.0/x"), Some(Api::Autotask));
        assert_eq!(Api::of("/api/v30/devices"), None);
        assert_eq!(Api::of("/"), None);
        let req = SimRequest {
            method: "GET".into(),
            path: "/api/v3/devices/0b7f3c1e-2d4a-4f6b-9c8d-1a2b3c4d5e6f/notifications".into(),
            raw_query: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            origin: "http://127.0.0.1:1".into(),
            peer: std::net::Ipv4Addr::LOCALHOST.into(),
        };
        assert_eq!(
            endpoint_key(Api::Vsax, &req),
            "vsax GET devices/{id}/notifications"
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(
            retry_after(Duration::from_millis(1200), RetryAfterForm::Seconds).as_deref(),
            Some("2")
        );
        assert!(retry_after(Duration::from_secs(3), RetryAfterForm::Date)
            .unwrap()
            .ends_with("GMT"));
        assert_eq!(retry_after(Duration::ZERO, RetryAfterForm::None), None);
    }
}
