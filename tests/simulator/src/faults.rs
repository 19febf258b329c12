//! Injected faults: what proxies, load balancers and overloaded servers do to real
//! traffic, by rate (seeded, so runs repeat) or by scripted position.
//!
//! A rule is JSON, e.g. `{"kind":"status","status":503,"body":"html","rate":0.1}` or
//! `{"vendor":"autotask","path":"Companies","kind":"reset","at":[2,3]}`. A request is
//! matched against the rules in order; the first rule that fires decides its fault.

use serde::Deserialize;

/// The fault a request suffers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// An error status instead of the answer. `body`: json (the vendor's error envelope),
    /// html (a proxy's error page), text or empty.
    Status {
        status: u16,
        #[serde(default)]
        body: BodyStyle,
    },
    /// 429 with Retry-After in seconds (simulated, converted by the time scale), as an
    /// HTTP date, or absent.
    RateLimit {
        #[serde(default = "one_second")]
        seconds: f64,
        #[serde(default)]
        retry_after: RetryAfterForm,
    },
    /// The real answer with its body cut in half: `connection: false` sends the cut body
    /// as a complete response (truncated JSON), `true` closes the connection mid-body.
    Truncate {
        #[serde(default)]
        connection: bool,
    },
    /// The real answer after a delay (real milliseconds, not scaled).
    Slow { delay_ms: u64 },
    /// The connection is reset (TCP RST) before any response.
    Reset,
    /// The real answer with its next-page link moved to another origin.
    ForeignNextLink {
        #[serde(default = "evil_origin")]
        origin: String,
    },
}

fn one_second() -> f64 {
    1.0
}

fn evil_origin() -> String {
    "https://evil.example.invalid".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyStyle {
    #[default]
    Json,
    Html,
    Text,
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfterForm {
    #[default]
    Seconds,
    Date,
    None,
}

/// Which requests a rule applies to, and when it fires.
// Unknown keys are refused by `FaultKind` (serde passes it every key this struct
// does not name), so a misspelt "rate" is an error, not a rule that always fires.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FaultRule {
    /// vsax | vsa9 | warehouse | autotask; absent = every vendor.
    #[serde(default)]
    pub vendor: Option<String>,
    /// A substring of the request path (e.g. "devices", "Companies/query").
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(flatten)]
    pub fault: FaultKind,
    /// Probability per matching request (seeded).
    #[serde(default)]
    pub rate: Option<f64>,
    /// 1-based positions among matching requests.
    #[serde(default)]
    pub at: Option<Vec<u64>>,
    /// Every n-th matching request.
    #[serde(default)]
    pub every: Option<u64>,
    /// At most this many firings.
    #[serde(default)]
    pub limit: Option<u64>,
}

impl FaultRule {
    /// Parses one rule and checks it makes sense.
    pub fn parse(text: &str) -> Result<FaultRule, String> {
        let rule: FaultRule = serde_json::from_str(text)
            .map_err(|e| format!("A fault rule is a JSON object such as {{\"kind\":\"status\",\"status\":503,\"rate\":0.1}}: {e}"))?;
        rule.check()?;
        Ok(rule)
    }

    pub fn check(&self) -> Result<(), String> {
        if let Some(vendor) = &self.vendor {
            if !["vsax", "vsa9", "warehouse", "autotask"].contains(&vendor.as_str()) {
                return Err(format!(
                    "Fault vendor \"{vendor}\" is not one of vsax, vsa9, warehouse, autotask"
                ));
            }
        }
        if let Some(rate) = self.rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("Fault rate {rate} is not between 0 and 1"));
            }
        }
        if self.every == Some(0) {
            return Err("Fault \"every\" must be at least 1".into());
        }
        match &self.fault {
            FaultKind::Status { status, .. } if !(400..=599).contains(status) => Err(format!(
                "Fault status {status} is not an error status (400-599)"
            )),
            FaultKind::RateLimit { seconds, .. } if !(seconds.is_finite() && *seconds >= 0.0) => {
                Err("Fault rate_limit seconds must be a non-negative number".into())
            }
            _ => Ok(()),
        }
    }
}

/// Live rules with their counters.
#[derive(Debug)]
pub struct Faults {
    rules: Vec<(FaultRule, u64, u64)>,
    rng: fastrand::Rng,
}

impl Faults {
    pub fn new(rules: &[FaultRule], seed: u64) -> Self {
        Faults {
            rules: rules.iter().cloned().map(|r| (r, 0, 0)).collect(),
            rng: fastrand::Rng::with_seed(seed ^ 0xFA17_FA17),
        }
    }

    /// The fault for a request of `vendor`, `method` on `path`, if a rule fires.
    pub fn pick(&mut self, vendor: &str, method: &str, path: &str) -> Option<FaultKind> {
        for (rule, matched, fired) in self.rules.iter_mut() {
            let applies = rule.vendor.as_deref().is_none_or(|v| v == vendor)
                && rule
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && rule.path.as_deref().is_none_or(|p| path.contains(p));
            if !applies {
                continue;
            }
            *matched += 1;
            if rule.limit.is_some_and(|limit| *fired >= limit) {
                continue;
            }
            let fires = match (&rule.at, rule.every, rule.rate) {
                (Some(at), _, _) => at.contains(matched),
                (None, Some(every), _) => *matched % every == 0,
                (None, None, Some(rate)) => self.rng.f64() < rate,
                (None, None, None) => true,
            };
            if fires {
                *fired += 1;
                return Some(rule.fault.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_fire_by_position_every_rate_and_limit() {
        let at = FaultRule::parse(r#"{"vendor":"vsax","path":"devices","kind":"status","status":503,"body":"html","at":[2,3]}"#).unwrap();
        let every =
            FaultRule::parse(r#"{"vendor":"vsa9","kind":"reset","every":2,"limit":1}"#).unwrap();
        let mut faults = Faults::new(&[at, every], 1);
        let fired: Vec<_> = (0..4)
            .map(|_| faults.pick("vsax", "GET", "/api/v3/devices").is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false]);
        assert_eq!(faults.pick("vsa9", "GET", "/x"), None);
        assert_eq!(faults.pick("vsa9", "GET", "/x"), Some(FaultKind::Reset));
        assert_eq!(faults.pick("vsa9", "GET", "/x"), None);
        assert_eq!(faults.pick("vsa9", "GET", "/x"), None, "limit reached");

        let rate = FaultRule::parse(r#"{"kind":"slow","delay_ms":5,"rate":0.25}"#).unwrap();
        let mut faults = Faults::new(&[rate], 7);
        let hits = (0..4000)
            .filter(|_| faults.pick("autotask", "POST", "/q").is_some())
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for (text, needle) in [
            (r#"{"kind":"status","status":200}"#, "not an error status"),
            (
                r#"{"kind":"status","status":503,"rate":2}"#,
                "between 0 and 1",
            ),
            (r#"{"kind":"teleport"}"#, "JSON object"),
            (r#"{"vendor":"sap","kind":"reset"}"#, "not one of"),
            (r#"{"kind":"reset","every":0}"#, "at least 1"),
        ] {
            let err = FaultRule::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
