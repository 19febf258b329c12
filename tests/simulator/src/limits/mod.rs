//! The limits the simulated APIs enforce, as documented in VENDORS.md, with per-limit
//! overrides and a time scale so tests can reach them in seconds.
//!
//! A limit is named (`vsax.default`, `autotask.hourly`, ...) and made of windows written
//! `COUNT/SPAN` (`3600/1h`), failed-request windows add the block they cause
//! (`30/1m:1m`), and `off` removes a limit. Spans are in simulated time: with
//! `--time-scale 60` an hour lasts one real minute.

pub mod failed;
pub mod window;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use window::SlidingWindow;

/// One window of a limit, in simulated seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    pub limit: u32,
    pub span_secs: f64,
    /// Failed-request windows: how long the IP is blocked once the limit is reached.
    pub block_secs: Option<f64>,
}

/// Every limit by name. Names and defaults are listed by `LimitSpecs::documented`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitSpecs {
    pub windows: BTreeMap<String, Vec<WindowSpec>>,
    /// Autotask: concurrent requests per entity endpoint and integration code.
    pub autotask_threads: Option<u32>,
}

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

fn window(limit: u32, span_secs: f64) -> WindowSpec {
    WindowSpec {
        limit,
        span_secs,
        block_secs: None,
    }
}

fn blocking(limit: u32, span_secs: f64, block_secs: f64) -> WindowSpec {
    WindowSpec {
        limit,
        span_secs,
        block_secs: Some(block_secs),
    }
}

/// Names accepted by `--limit NAME=SPEC`.
pub const LIMIT_NAMES: &[&str] = &[
    "vsax.default",
    "vsax.assets",
    "vsax.group_package",
    "vsax.notify",
    "vsax.failed",
    "vsa9.default",
    "warehouse.default",
    "autotask.hourly",
    "autotask.threads",
];

impl LimitSpecs {
    /// The vendors' documented limits (VENDORS.md). VSA 9 documents none.
    pub fn documented() -> Self {
        let mut windows = BTreeMap::new();
        windows.insert("vsax.default".into(), vec![window(3600, HOUR)]);
        windows.insert("vsax.assets".into(), vec![window(60, HOUR)]);
        windows.insert("vsax.group_package".into(), vec![window(60, HOUR)]);
        windows.insert(
            "vsax.notify".into(),
            vec![
                window(10, 5.0),
                window(50, 60.0),
                window(200, 300.0),
                window(500, HOUR),
                window(2000, DAY),
            ],
        );
        windows.insert(
            "vsax.failed".into(),
            vec![
                blocking(30, 60.0, 60.0),
                blocking(100, 300.0, 300.0),
                blocking(300, HOUR, HOUR),
                blocking(1000, DAY, DAY),
            ],
        );
        windows.insert("vsa9.default".into(), Vec::new());
        windows.insert("warehouse.default".into(), Vec::new());
        windows.insert("autotask.hourly".into(), vec![window(10_000, HOUR)]);
        LimitSpecs {
            windows,
            autotask_threads: Some(3),
        }
    }

    /// Applies `NAME=SPEC`.
    pub fn apply_override(&mut self, text: &str) -> Result<(), String> {
        let (name, spec) = text.split_once('=').ok_or_else(|| {
            format!("A limit override is NAME=SPEC (e.g. vsax.default=100/1m), got \"{text}\"")
        })?;
        self.set(name.trim(), spec.trim())
    }

    /// Sets limit `name` from `spec`.
    pub fn set(&mut self, name: &str, spec: &str) -> Result<(), String> {
        if !LIMIT_NAMES.contains(&name) {
            return Err(format!(
                "Unknown limit \"{name}\"; the limits are {}",
                LIMIT_NAMES.join(", ")
            ));
        }
        if name == "autotask.threads" {
            self.autotask_threads = if spec.eq_ignore_ascii_case("off") {
                None
            } else {
                Some(spec.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("autotask.threads takes a positive count or off, got \"{spec}\"")
                })?)
            };
            return Ok(());
        }
        let windows = parse_windows(spec, name == "vsax.failed")
            .map_err(|problem| format!("Limit {name}: {problem}"))?;
        self.windows.insert(name.to_string(), windows);
        Ok(())
    }
}

fn parse_windows(spec: &str, blocking: bool) -> Result<Vec<WindowSpec>, String> {
    if spec.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    spec.split(',')
        .map(|part| parse_window(part.trim(), blocking))
        .collect()
}

fn parse_window(part: &str, blocking: bool) -> Result<WindowSpec, String> {
    let usage = if blocking {
        "COUNT/SPAN:BLOCK, e.g. 30/1m:1m"
    } else {
        "COUNT/SPAN, e.g. 3600/1h"
    };
    let (count, rest) = part
        .split_once('/')
        .ok_or_else(|| format!("\"{part}\" is not {usage}"))?;
    let limit = count
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("\"{count}\" is not a positive count ({usage})"))?;
    let (span, block) = match rest.split_once(':') {
        Some((span, block)) => (span, Some(block)),
        None => (rest, None),
    };
    if block.is_some() != blocking {
        return Err(format!("\"{part}\" is not {usage}"));
    }
    Ok(WindowSpec {
        limit,
        span_secs: parse_duration(span)?,
        block_secs: block.map(parse_duration).transpose()?,
    })
}

/// `90`, `90s`, `1.5m`, `1h`, `1d` → seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let factor = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => HOUR,
        'd' => DAY,
        _ => return Err(format!("\"{text}\": a span ends in s, m, h or d")),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| n * factor)
        .ok_or_else(|| format!("\"{text}\" is not a positive duration such as 90s, 5m or 1h"))
}

/// Converts simulated seconds to real time under `time_scale`.
pub fn real(sim_secs: f64, time_scale: f64) -> Duration {
    Duration::from_secs_f64((sim_secs / time_scale).clamp(0.0, 1e9))
}

/// The live windows of every rate limit (not the failed-request guard).
#[derive(Debug)]
pub struct RateLimits {
    windows: BTreeMap<String, Vec<SlidingWindow>>,
    rejected: BTreeMap<String, u64>,
}

impl RateLimits {
    pub fn new(specs: &LimitSpecs, time_scale: f64) -> Self {
        let windows = specs
            .windows
            .iter()
            .filter(|(name, _)| name.as_str() != "vsax.failed")
            .map(|(name, list)| {
                let live = list
                    .iter()
                    .map(|w| SlidingWindow::new(w.limit, real(w.span_secs, time_scale)))
                    .collect();
                (name.clone(), live)
            })
            .collect();
        RateLimits {
            windows,
            rejected: BTreeMap::new(),
        }
    }

    /// Admits one request under limit `name`, or says how long until it would fit.
    pub fn admit(&mut self, name: &str, now: Instant) -> Result<(), Duration> {
        let Some(windows) = self.windows.get_mut(name) else {
            return Ok(());
        };
        let wait = windows.iter_mut().map(|w| w.wait(now)).max();
        match wait {
            Some(wait) if !wait.is_zero() => {
                *self.rejected.entry(name.to_string()).or_default() += 1;
                Err(wait)
            }
            _ => {
                for w in windows.iter_mut() {
                    w.record(now);
                }
                Ok(())
            }
        }
    }

    /// Requests counted by the first window of `name` (Autotask's threshold reading).
    pub fn used(&mut self, name: &str, now: Instant) -> Option<(u32, u32)> {
        let w = self.windows.get_mut(name)?.first_mut()?;
        Some((w.count(now), w.limit))
    }

    /// `{name: {"rejected": n, "windows": [{"limit","span_ms","peak"}]}}` for /_sim/stats.
    pub fn report(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (name, windows) in &self.windows {
            let list: Vec<_> = windows
                .iter()
                .map(|w| {
                    serde_json::json!({
                        "limit": w.limit,
                        "span_ms": w.span.as_millis() as u64,
                        "peak": w.peak,
                    })
                })
                .collect();
            out.insert(
                name.clone(),
                serde_json::json!({
                    "rejected": self.rejected.get(name).copied().unwrap_or(0),
                    "windows": list,
                }),
            );
        }
        serde_json::Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_bad_specs_name_the_problem() {
        let mut specs = LimitSpecs::documented();
        specs.apply_override("vsax.default=100/1m").unwrap();
        assert_eq!(specs.windows["vsax.default"], vec![window(100, 60.0)]);
        specs.apply_override("vsax.failed=5/10s:30s").unwrap();
        assert_eq!(specs.windows["vsax.failed"], vec![blocking(5, 10.0, 30.0)]);
        specs.apply_override("autotask.threads=off").unwrap();
        assert_eq!(specs.autotask_threads, None);
        specs.apply_override("vsa9.default=10/1s,100/1m").unwrap();
        assert_eq!(specs.windows["vsa9.default"].len(), 2);
        for bad in [
            "nope=1/1s",
            "vsax.default",
            "vsax.default=0/1s",
            "vsax.default=10/xyz",
            "vsax.default=10/1s:5s",
            "vsax.failed=10/1s",
            "autotask.threads=0",
        ] {
            let err = specs.apply_override(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn time_scale_shortens_windows() {
        assert_eq!(real(3600.0, 60.0), Duration::from_secs(60));
        let mut specs = LimitSpecs::documented();
        specs.set("vsax.default", "2/1h").unwrap();
        let mut limits = RateLimits::new(&specs, 3600.0);
        let t = Instant::now();
        assert!(limits.admit("vsax.default", t).is_ok());
        assert!(limits.admit("vsax.default", t).is_ok());
        let wait = limits.admit("vsax.default", t).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && !wait.is_zero());
        assert!(limits
            .admit("vsax.default", t + Duration::from_secs(1))
            .is_ok());
        assert!(limits.admit("vsa9.default", t).is_ok(), "off admits all");
    }
}
