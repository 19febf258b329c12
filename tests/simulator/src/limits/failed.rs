//! VSA X's failed-request limit: per client IP, too many failed requests in a window
//! block the IP for a while (30/min → 1 min, 100/5 min → 5 min, 300/h → 1 h, 1,000/day →
//! 24 h). The block starts when a window's count reaches its limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::window::SlidingWindow;
use super::{real, WindowSpec};

#[derive(Debug)]
struct PerIp {
    windows: Vec<(SlidingWindow, Duration)>,
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct FailedRequestGuard {
    specs: Vec<WindowSpec>,
    time_scale: f64,
    ips: HashMap<IpAddr, PerIp>,
    pub blocks_started: u64,
    pub failures: u64,
}

impl FailedRequestGuard {
    pub fn new(specs: &[WindowSpec], time_scale: f64) -> Self {
        FailedRequestGuard {
            specs: specs.to_vec(),
            time_scale,
            ips: HashMap::new(),
            blocks_started: 0,
            failures: 0,
        }
    }

    /// How long `ip` stays blocked, if it is.
    pub fn blocked(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let entry = self.ips.get_mut(&ip)?;
        match entry.blocked_until {
            Some(until) if until > now => Some(until - now),
            _ => {
                entry.blocked_until = None;
                None
            }
        }
    }

    /// Counts one failed request from `ip`; starts a block when a window fills.
    pub fn record_failure(&mut self, ip: IpAddr, now: Instant) {
        self.failures += 1;
        let (specs, scale) = (&self.specs, self.time_scale);
        let entry = self.ips.entry(ip).or_insert_with(|| PerIp {
            windows: specs
                .iter()
                .map(|w| {
                    let block = real(w.block_secs.unwrap_or(w.span_secs), scale);
                    (SlidingWindow::new(w.limit, real(w.span_secs, scale)), block)
                })
                .collect(),
            blocked_until: None,
        });
        let mut block: Option<Duration> = None;
        for (window, duration) in entry.windows.iter_mut() {
            if window.record(now) >= window.limit {
                block = Some(block.map_or(*duration, |b| b.max(*duration)));
            }
        }
        if let Some(duration) = block {
            let until = now + duration;
            if entry.blocked_until.is_none_or(|current| current < until) {
                if entry.blocked_until.is_none() {
                    self.blocks_started += 1;
                }
                entry.blocked_until = Some(until);
            }
        }
    }

    /// `{"failures","blocks_started","windows":[{"limit","span_ms","peak"}]}` (peaks over all IPs).
    pub fn report(&self) -> serde_json::Value {
        let windows: Vec<_> = self
            .specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let peak = self
                    .ips
                    .values()
                    .filter_map(|ip| ip.windows.get(i).map(|(w, _)| w.peak))
                    .max()
                    .unwrap_or(0);
                serde_json::json!({
                    "limit": spec.limit,
                    "span_ms": real(spec.span_secs, self.time_scale).as_millis() as u64,
                    "peak": peak,
                })
            })
            .collect();
        serde_json::json!({
            "failures": self.failures,
            "blocks_started": self.blocks_started,
            "windows": windows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn the_limit_th_failure_blocks_for_the_window_block() {
        let specs = [WindowSpec {
            limit: 3,
            span_secs: 60.0,
            block_secs: Some(120.0),
        }];
        let mut guard = FailedRequestGuard::new(&specs, 1.0);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t = Instant::now();
        guard.record_failure(ip, t);
        guard.record_failure(ip, t);
        assert_eq!(guard.blocked(ip, t), None);
        guard.record_failure(ip, t);
        assert_eq!(guard.blocked(ip, t), Some(Duration::from_secs(120)));
        assert_eq!(guard.blocks_started, 1);
        assert_eq!(guard.blocked(ip, t + Duration::from_secs(121)), None);
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(guard.blocked(other, t), None);
    }
}
