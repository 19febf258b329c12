//! Documented limits per vendor and endpoint class (VENDORS.md), and which class a
//! request belongs to.

use super::window::RateWindow;
use crate::Vendor;

const SECOND: u64 = 1000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// A group of endpoints that shares a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointClass {
    /// Everything without a limit of its own (still counted against the vendor-wide one).
    Default,
    /// VSA X Get Assets / Get Assets for a device: 60 per hour.
    Assets,
    /// VSA X Notify (POST notifications): five windows at once.
    Notify,
    /// VSA X Get a Group Package: 60 per hour.
    GroupPackage,
}

impl EndpointClass {
    /// Every class.
    pub const ALL: [EndpointClass; 4] = [
        EndpointClass::Default,
        EndpointClass::Assets,
        EndpointClass::Notify,
        EndpointClass::GroupPackage,
    ];

    /// The stable name used in options and exported state.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointClass::Default => "default",
            EndpointClass::Assets => "assets",
            EndpointClass::Notify => "notify",
            EndpointClass::GroupPackage => "group_package",
        }
    }

    /// The class named `name`.
    pub fn from_name(name: &str) -> Option<EndpointClass> {
        EndpointClass::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Autotask's hourly request threshold per database, shared by every integration.
pub const AUTOTASK_TENANT_HOURLY: u32 = 10_000;

/// The windows of `class` for `vendor`. `Default` windows apply to every request of the
/// vendor (a Notify call also counts against the vendor-wide limit); the other classes add
/// their own windows on top.
pub fn documented_windows(
    vendor: Vendor,
    class: EndpointClass,
    autotask_share: f64,
) -> Vec<RateWindow> {
    match (vendor, class) {
        (Vendor::Vsax, EndpointClass::Default) => vec![RateWindow::new(3600, HOUR)],
        (Vendor::Vsax, EndpointClass::Assets | EndpointClass::GroupPackage) => {
            vec![RateWindow::new(60, HOUR)]
        }
        (Vendor::Vsax, EndpointClass::Notify) => vec![
            RateWindow::new(10, 5 * SECOND),
            RateWindow::new(50, MINUTE),
            RateWindow::new(200, 5 * MINUTE),
            RateWindow::new(500, HOUR),
            RateWindow::new(2000, DAY),
        ],
        // No documented limit: stay gentle with servers that are often on-premises.
        (Vendor::Vsa9 | Vendor::Vsa9Warehouse, EndpointClass::Default) => {
            vec![
                RateWindow::new(10, 10 * SECOND),
                RateWindow::new(3600, HOUR),
            ]
        }
        (Vendor::Autotask, EndpointClass::Default) => {
            let share = autotask_share.clamp(0.01, 1.0);
            vec![RateWindow::new(
                (f64::from(AUTOTASK_TENANT_HOURLY) * share) as u32,
                HOUR,
            )]
        }
        _ => Vec::new(),
    }
}

/// Which failed-request thresholds VSA X applies per client IP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FailureGuard {
    /// The documented thresholds: 30/min, 100/5 min, 300/h, 1,000/day.
    #[default]
    Documented,
    /// The announced replacement: 100/min, 2,000/h.
    Announced,
    /// Custom thresholds.
    Custom(Vec<RateWindow>),
    /// No guard (vendors without failure blocks).
    Off,
}

impl FailureGuard {
    /// The thresholds as windows of failures.
    pub fn windows(&self) -> Vec<RateWindow> {
        match self {
            FailureGuard::Documented => vec![
                RateWindow::new(30, MINUTE),
                RateWindow::new(100, 5 * MINUTE),
                RateWindow::new(300, HOUR),
                RateWindow::new(1000, DAY),
            ],
            FailureGuard::Announced => {
                vec![RateWindow::new(100, MINUTE), RateWindow::new(2000, HOUR)]
            }
            FailureGuard::Custom(windows) => windows.clone(),
            FailureGuard::Off => Vec::new(),
        }
    }
}

/// The failed-request guard a vendor needs by default: only VSA X blocks client IPs.
pub fn default_failure_guard(vendor: Vendor) -> FailureGuard {
    match vendor {
        Vendor::Vsax => FailureGuard::Documented,
        _ => FailureGuard::Off,
    }
}

/// The class of a request, from its method and its path below the API base.
pub fn classify(vendor: Vendor, method: crate::Method, path: &str) -> EndpointClass {
    if vendor != Vendor::Vsax {
        return EndpointClass::Default;
    }
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segs.as_slice()) {
        (crate::Method::Post, ["notifications"]) => EndpointClass::Notify,
        (crate::Method::Get, ["assets", ..])
        | (crate::Method::Get, ["devices", _, "assets", ..]) => EndpointClass::Assets,
        (crate::Method::Get, ["groups", _, "package", ..]) => EndpointClass::GroupPackage,
        _ => EndpointClass::Default,
    }
}

/// The key under which Autotask counts concurrent requests: the entity endpoint
/// (`Companies`, `ThresholdInformation`); None for vendors without such a limit.
pub fn concurrency_key(vendor: Vendor, path: &str) -> Option<String> {
    (vendor == Vendor::Autotask).then(|| {
        path.trim_matches('/')
            .split('/')
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_ascii_lowercase()
    })
}

/// Autotask's documented thread limit per entity endpoint and integration code.
pub const AUTOTASK_THREADS_PER_ENTITY: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn vsax_classes() {
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "devices"),
            EndpointClass::Default
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "assets"),
            EndpointClass::Assets
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "Assets/12"),
            EndpointClass::Assets
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "devices/abc/assets"),
            EndpointClass::Assets
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Post, "notifications"),
            EndpointClass::Notify
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "notifications"),
            EndpointClass::Default
        );
        assert_eq!(
            classify(Vendor::Vsax, Method::Get, "groups/5/package/x"),
            EndpointClass::GroupPackage
        );
        assert_eq!(
            classify(Vendor::Autotask, Method::Get, "assets"),
            EndpointClass::Default
        );
    }

    #[test]
    fn documented_numbers() {
        let notify = documented_windows(Vendor::Vsax, EndpointClass::Notify, 0.5);
        assert_eq!(
            notify.iter().map(|w| w.limit).collect::<Vec<_>>(),
            vec![10, 50, 200, 500, 2000]
        );
        assert_eq!(
            documented_windows(Vendor::Autotask, EndpointClass::Default, 0.5),
            vec![RateWindow::new(5000, HOUR)]
        );
        assert_eq!(FailureGuard::Documented.windows().len(), 4);
        assert_eq!(
            concurrency_key(Vendor::Autotask, "Companies/query/next").as_deref(),
            Some("companies")
        );
        assert_eq!(concurrency_key(Vendor::Vsax, "devices"), None);
        for name in ["default", "assets", "notify", "group_package"] {
            assert_eq!(
                EndpointClass::from_name(name).map(EndpointClass::as_str),
                Some(name)
            );
        }
    }
}
