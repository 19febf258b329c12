//! The pacing options' own consistency, checked when a client is built: values that would
//! stall every job (a window allowing 0 requests), never send (0 in flight), or never try
//! (0 attempts) are configuration mistakes, refused with the option named, before
//! anything is sent. Every binding relies on this rather than repeating it.

use super::{FailureGuard, PacingOptions, RateWindow};
use crate::Error;

impl PacingOptions {
    /// Ok when every option is usable; otherwise an `invalid_config` error naming it.
    pub fn check(&self) -> Result<(), Error> {
        if self.max_in_flight == 0 {
            return Err(Error::config(
                "max_in_flight is 0: no request could ever be sent",
                "Set max_in_flight to 1 (the default) or more.",
            ));
        }
        for (class, windows) in &self.windows {
            check_windows(windows, &format!("windows[{}]", class.as_str()))?;
        }
        if let Some(FailureGuard::Custom(windows)) = &self.failure_guard {
            check_windows(windows, "failure_guard")?;
        }
        if !(self.autotask_share.is_finite()
            && self.autotask_share > 0.0
            && self.autotask_share <= 1.0)
        {
            return Err(Error::config(
                "autotask_share must be above 0 and at most 1",
                "Set the share of the tenant's hourly Autotask threshold this client may \
                 use, e.g. 0.5 (the default).",
            ));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::config(
                "retry max_attempts is 0: not even the first attempt would be made",
                "Set max_attempts to 1 (never retry) or more; the default is 5.",
            ));
        }
        if self.retry.base_ms > self.retry.cap_ms {
            return Err(Error::config(
                "retry base_ms is larger than cap_ms",
                "Set base_ms (the first backoff) at most cap_ms (the largest).",
            ));
        }
        Ok(())
    }
}

fn check_windows(windows: &[RateWindow], option: &str) -> Result<(), Error> {
    match windows.iter().find(|w| w.limit == 0 || w.per_ms == 0) {
        Some(window) if window.limit == 0 => Err(Error::config(
            format!("{option} has a window of 0 requests: every job would wait forever"),
            "Give every window a limit of at least 1, or leave the option out for the \
             vendor's documented limits.",
        )),
        Some(_) => Err(Error::config(
            format!("{option} has a window of 0 ms, which limits nothing"),
            "Give every window a length of at least 1 ms, or leave the option out for the \
             vendor's documented limits.",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EndpointClass, ErrorCode, RetryPolicy};

    fn refused(options: PacingOptions) -> String {
        let error = options.check().expect_err("refused");
        assert_eq!(error.code(), ErrorCode::InvalidConfig);
        error.message().to_string()
    }

    #[test]
    fn the_defaults_pass() {
        PacingOptions::default().check().unwrap();
    }

    #[test]
    fn unusable_values_are_refused_naming_the_option() {
        let mut windows = std::collections::BTreeMap::new();
        windows.insert(EndpointClass::Assets, vec![RateWindow::new(0, 1000)]);
        let message = refused(PacingOptions {
            windows,
            ..PacingOptions::default()
        });
        assert!(
            message.starts_with("windows[assets] has a window of 0 requests"),
            "{message}"
        );
        let message = refused(PacingOptions {
            failure_guard: Some(FailureGuard::Custom(vec![RateWindow::new(5, 0)])),
            ..PacingOptions::default()
        });
        assert!(
            message.starts_with("failure_guard has a window of 0 ms"),
            "{message}"
        );
        for share in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let message = refused(PacingOptions {
                autotask_share: share,
                ..PacingOptions::default()
            });
            assert!(message.starts_with("autotask_share"), "{share}: {message}");
        }
        let message = refused(PacingOptions {
            max_in_flight: 0,
            ..PacingOptions::default()
        });
        assert!(message.starts_with("max_in_flight is 0"), "{message}");
        let message = refused(PacingOptions {
            retry: RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            },
            ..PacingOptions::default()
        });
        assert!(message.starts_with("retry max_attempts is 0"), "{message}");
        let message = refused(PacingOptions {
            retry: RetryPolicy {
                base_ms: 10_000,
                cap_ms: 1_000,
                ..RetryPolicy::default()
            },
            ..PacingOptions::default()
        });
        assert!(message.starts_with("retry base_ms"), "{message}");
    }
}
