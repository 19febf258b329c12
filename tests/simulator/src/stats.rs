//! Counters per endpoint, for tests and benchmarks to assert on (`GET /_sim/stats`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    pub requests: u64,
    pub status_2xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Answered 429 (rate or thread limit, or an injected rate_limit fault).
    pub status_429: u64,
    /// Refused because the client IP is blocked (VSA X failed-request limit).
    pub blocked: u64,
    /// Requests that suffered an injected fault.
    pub faults: u64,
    pub max_in_flight: u32,
}

/// What happened to one request, for the counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// None when the connection was reset before any status.
    pub status: Option<u16>,
    pub blocked: bool,
    pub fault: bool,
}

#[derive(Debug, Default)]
pub struct Stats {
    endpoints: BTreeMap<String, Counters>,
    vendors: BTreeMap<String, Counters>,
    in_flight: HashMap<String, u32>,
}

impl Stats {
    /// A request to `endpoint` of `vendor` starts.
    pub fn begin(&mut self, vendor: &str, endpoint: &str) {
        for (key, map) in [(endpoint, &mut self.endpoints), (vendor, &mut self.vendors)] {
            let now = self.in_flight.entry(key.to_string()).or_default();
            *now += 1;
            let counters = map.entry(key.to_string()).or_default();
            counters.requests += 1;
            counters.max_in_flight = counters.max_in_flight.max(*now);
        }
    }

    /// Requests of `key` (an endpoint or a vendor) in flight now.
    pub fn in_flight(&self, key: &str) -> u32 {
        self.in_flight.get(key).copied().unwrap_or(0)
    }

    /// The request started by `begin` ended with `outcome`.
    pub fn end(&mut self, vendor: &str, endpoint: &str, outcome: Outcome) {
        for (key, map) in [(endpoint, &mut self.endpoints), (vendor, &mut self.vendors)] {
            if let Some(now) = self.in_flight.get_mut(key) {
                *now = now.saturating_sub(1);
            }
            let c = map.entry(key.to_string()).or_default();
            match outcome.status {
                Some(200..=299) => c.status_2xx += 1,
                Some(429) => {
                    c.status_429 += 1;
                    c.status_4xx += 1;
                }
                Some(400..=499) => c.status_4xx += 1,
                Some(500..=599) => c.status_5xx += 1,
                _ => {}
            }
            c.blocked += u64::from(outcome.blocked);
            c.faults += u64::from(outcome.fault);
        }
    }

    pub fn report(&self) -> serde_json::Value {
        serde_json::json!({
            "endpoints": self.endpoints,
            "vendors": self.vendors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_endpoint_and_vendor_with_peak_concurrency() {
        let mut stats = Stats::default();
        stats.begin("vsax", "vsax GET devices");
        stats.begin("vsax", "vsax GET devices");
        assert_eq!(stats.in_flight("vsax GET devices"), 2);
        let ok = Outcome {
            status: Some(200),
            ..Default::default()
        };
        stats.end("vsax", "vsax GET devices", ok);
        stats.end(
            "vsax",
            "vsax GET devices",
            Outcome {
                status: Some(429),
                ..Default::default()
            },
        );
        stats.begin("vsax", "vsax GET devices");
        stats.end("vsax", "vsax GET devices", ok);
        let report = stats.report();
        let devices = &report["endpoints"]["vsax GET devices"];
        assert_eq!(devices["requests"], 3);
        assert_eq!(devices["status_2xx"], 2);
        assert_eq!(devices["status_429"], 1);
        assert_eq!(devices["max_in_flight"], 2);
        assert_eq!(report["vendors"]["vsax"]["requests"], 3);
    }
}
