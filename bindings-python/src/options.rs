//! Constructor keyword options → `ClientOptions`. Every name is checked: a typo is a
//! ConfigError naming it, not an option silently ignored. `None` means "the default".

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use mspkit_core::{
    AutotaskPaging, ClientOptions, EndpointClass, FailureGuard, RateWindow, RetryPolicy,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString};

use crate::args::{string, text, type_name, u32_arg, u64_arg};
use crate::errors::config_error;

/// Every option name, for the message about an unknown one.
const OPTION_NAMES: [&str; 11] = [
    "allow_insecure_loopback",
    "jitter_seed",
    "zone_discovery_url",
    "autotask_paging",
    "max_in_flight",
    "windows",
    "failure_guard",
    "autotask_share",
    "max_wait_ms",
    "retry",
    "instance",
];

const RETRY_NAMES: [&str; 5] = [
    "max_attempts",
    "base_ms",
    "cap_ms",
    "max_total_ms",
    "rate_limited_floor_ms",
];

/// A seed from the OS's random source (std seeds `RandomState` from it per instance).
pub fn os_random_u64() -> u64 {
    RandomState::new().hash_one(0x6d73_706b_u64)
}

/// `ClientOptions` from a constructor's `**options`.
pub fn client_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<ClientOptions> {
    let mut out = ClientOptions {
        jitter_seed: os_random_u64(),
        ..ClientOptions::default()
    };
    let Some(options) = options else {
        return Ok(out);
    };
    for (name, value) in options.iter() {
        let name = string(&name, "an option name")?;
        if value.is_none() {
            if !OPTION_NAMES.contains(&name.as_str()) {
                return Err(unknown_option(&name));
            }
            continue;
        }
        let value = &value;
        let pacing = &mut out.pacing;
        match name.as_str() {
            "allow_insecure_loopback" => out.allow_insecure_loopback = boolean(value, &name)?,
            "jitter_seed" => out.jitter_seed = u64_arg(value, &name)?,
            "zone_discovery_url" => out.zone_discovery_url = Some(string(value, &name)?),
            "autotask_paging" => out.autotask_paging = autotask_paging(value)?,
            "max_in_flight" => pacing.max_in_flight = u32_arg(value, &name)?,
            "windows" => pacing.windows = windows(value)?,
            "failure_guard" => pacing.failure_guard = Some(failure_guard(value)?),
            "autotask_share" => pacing.autotask_share = share(value)?,
            "max_wait_ms" => pacing.max_wait_ms = u64_arg(value, &name)?,
            "retry" => pacing.retry = retry(value)?,
            "instance" => pacing.instance = Some(string(value, &name)?),
            _ => return Err(unknown_option(&name)),
        }
    }
    Ok(out)
}

fn unknown_option(name: &str) -> PyErr {
    config_error(
        format!("Unknown option {name:?}"),
        format!("Use one of: {}.", OPTION_NAMES.join(", ")),
    )
}

fn boolean(value: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    value.extract::<bool>().map_err(|_| {
        config_error(
            format!("{name} must be True or False, got {}", type_name(value)),
            format!("Pass {name}=True or {name}=False."),
        )
    })
}

fn autotask_paging(value: &Bound<'_, PyAny>) -> PyResult<AutotaskPaging> {
    match string(value, "autotask_paging")?.as_str() {
        "next_link" => Ok(AutotaskPaging::NextLink),
        "keyset" => Ok(AutotaskPaging::Keyset),
        other => Err(config_error(
            format!("Unknown autotask_paging {other:?}"),
            "Pass autotask_paging=\"next_link\" (the default) or \"keyset\".",
        )),
    }
}

/// The share's range is the core's to check (PacingOptions::check); here only its type.
fn share(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    value.extract::<f64>().map_err(|_| {
        config_error(
            format!("autotask_share must be a number, got {}", type_name(value)),
            "Pass the share of the tenant's hourly Autotask threshold this client may use, \
             e.g. autotask_share=0.5.",
        )
    })
}

/// One `(limit, per_ms)` pair of the list `option`.
fn window(value: &Bound<'_, PyAny>, option: &str) -> PyResult<RateWindow> {
    let pair_len = if value.is_instance_of::<PyString>() {
        None
    } else {
        value.len().ok()
    };
    if pair_len != Some(2) {
        return Err(config_error(
            format!(
                "{option} must be a list of (limit, per_ms) pairs; an element is {}",
                type_name(value)
            ),
            format!("Pass {option} as a list of (limit, per_ms) tuples such as [(3600, 3600000)]."),
        ));
    }
    let limit = u32_arg(&value.get_item(0)?, &format!("a limit in {option}"))?;
    let per_ms = u64_arg(&value.get_item(1)?, &format!("a per_ms in {option}"))?;
    // A window of 0 requests or 0 ms is the core's to refuse (PacingOptions::check).
    Ok(RateWindow::new(limit, per_ms))
}

fn window_list(value: &Bound<'_, PyAny>, option: &str) -> PyResult<Vec<RateWindow>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyDict>() {
        return Err(config_error(
            format!(
                "{option} must be a list of (limit, per_ms) pairs, got {}",
                type_name(value)
            ),
            format!("Pass {option} as a list of (limit, per_ms) tuples such as [(3600, 3600000)]."),
        ));
    }
    let iter = value.try_iter().map_err(|_| {
        config_error(
            format!(
                "{option} must be a list of (limit, per_ms) pairs, got {}",
                type_name(value)
            ),
            format!("Pass {option} as a list of (limit, per_ms) tuples."),
        )
    })?;
    iter.map(|w| window(&w?, option)).collect()
}

fn windows(
    value: &Bound<'_, PyAny>,
) -> PyResult<std::collections::BTreeMap<EndpointClass, Vec<RateWindow>>> {
    let classes: Vec<&str> = EndpointClass::ALL.iter().map(|c| c.as_str()).collect();
    if !value.is_instance_of::<PyMapping>() {
        return Err(config_error(
            format!("windows must be a mapping, got {}", type_name(value)),
            format!(
                "Pass windows as {{class: [(limit, per_ms), ...]}} with class one of {}.",
                classes.join(", ")
            ),
        ));
    }
    let mut out = std::collections::BTreeMap::new();
    for pair in value.call_method0("items")?.try_iter()? {
        let pair = pair?;
        let name = string(&pair.get_item(0)?, "a windows class")?;
        let class = EndpointClass::from_name(&name).ok_or_else(|| {
            config_error(
                format!("Unknown windows class {name:?}"),
                format!("Use one of: {}.", classes.join(", ")),
            )
        })?;
        out.insert(
            class,
            window_list(&pair.get_item(1)?, &format!("windows[{name:?}]"))?,
        );
    }
    Ok(out)
}

fn failure_guard(value: &Bound<'_, PyAny>) -> PyResult<FailureGuard> {
    if let Ok(name) = value.cast::<PyString>() {
        return match text(name, "failure_guard")?.as_ref() {
            "documented" => Ok(FailureGuard::Documented),
            "announced" => Ok(FailureGuard::Announced),
            "off" => Ok(FailureGuard::Off),
            other => Err(config_error(
                format!("Unknown failure_guard {other:?}"),
                "Pass \"documented\", \"announced\", \"off\" or a list of (limit, per_ms) pairs.",
            )),
        };
    }
    window_list(value, "failure_guard").map(FailureGuard::Custom)
}

fn retry(value: &Bound<'_, PyAny>) -> PyResult<RetryPolicy> {
    if !value.is_instance_of::<PyMapping>() {
        return Err(config_error(
            format!("retry must be a mapping, got {}", type_name(value)),
            format!(
                "Pass retry as a dict with any of: {}.",
                RETRY_NAMES.join(", ")
            ),
        ));
    }
    let mut policy = RetryPolicy::default();
    for pair in value.call_method0("items")?.try_iter()? {
        let pair = pair?;
        let name = string(&pair.get_item(0)?, "a retry option name")?;
        let value = pair.get_item(1)?;
        if value.is_none() {
            continue;
        }
        let label = format!("retry[{name:?}]");
        match name.as_str() {
            "max_attempts" => policy.max_attempts = u32_arg(&value, &label)?,
            "base_ms" => policy.base_ms = u64_arg(&value, &label)?,
            "cap_ms" => policy.cap_ms = u64_arg(&value, &label)?,
            "max_total_ms" => policy.max_total_ms = u64_arg(&value, &label)?,
            "rate_limited_floor_ms" => policy.rate_limited_floor_ms = u64_arg(&value, &label)?,
            _ => {
                return Err(config_error(
                    format!("Unknown retry option {name:?}"),
                    format!("Use any of: {}.", RETRY_NAMES.join(", ")),
                ))
            }
        }
    }
    Ok(policy)
}
