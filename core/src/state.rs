//! Exported state: what a client may carry between runs or share between processes.
//! Only non-secret data goes here (the Autotask zone, pacing counts); never a credential
//! or a session token.

use serde::{Deserialize, Serialize};

use crate::{Error, Vendor};

const VERSION: u32 = 1;

/// An exported state larger than this is not ours: refuse before parsing it.
const MAX_STATE_LEN: usize = 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct StateText {
    v: u32,
    vendor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    autotask_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pacing: Option<serde_json::Value>,
}

/// What an imported state carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportedState {
    pub autotask_zone: Option<String>,
    pub pacing: Option<serde_json::Value>,
}

pub(crate) fn export(
    vendor: Vendor,
    autotask_zone: Option<&str>,
    pacing: Option<serde_json::Value>,
) -> String {
    let text = StateText {
        v: VERSION,
        vendor: vendor.id().to_string(),
        autotask_zone: autotask_zone.map(str::to_string),
        pacing,
    };
    serde_json::to_string(&text).unwrap_or_default()
}

pub(crate) fn import(state: &str, vendor: Vendor) -> Result<ImportedState, Error> {
    let remedy = "Pass a string that export_state() of a client for the same vendor returned, \
                  or start without imported state.";
    if state.len() > MAX_STATE_LEN {
        return Err(Error::config(
            "The state is too large to be mspkit state",
            remedy,
        ));
    }
    let text: StateText = serde_json::from_str(state.trim()).map_err(|_| {
        Error::config(
            "The state is not mspkit state (not the JSON export_state returns)",
            remedy,
        )
    })?;
    if text.v != VERSION {
        return Err(Error::config(
            format!(
                "The state has version {} but this mspkit reads version {VERSION}",
                text.v
            ),
            remedy,
        ));
    }
    if text.vendor != vendor.id() {
        // Name the other vendor only when it is one: a damaged or wrong file may hold
        // anything there, a secret included, and messages never repeat such input.
        let other = match Vendor::from_id(&text.vendor) {
            Some(other) => other.display_name(),
            None => "an unknown vendor",
        };
        return Err(Error::config(
            format!(
                "The state belongs to a client of {other}, not of {}",
                vendor.display_name()
            ),
            remedy,
        ));
    }
    Ok(ImportedState {
        autotask_zone: text.autotask_zone,
        pacing: text.pacing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn round_trip() {
        let text = export(
            Vendor::Autotask,
            Some("https://webservices15.autotask.net/ATServicesRest/V1.0/"),
            None,
        );
        assert_eq!(
            text,
            r#"{"v":1,"vendor":"autotask","autotask_zone":"https://webservices15.autotask.net/ATServicesRest/V1.0/"}"#
        );
        let back = import(&text, Vendor::Autotask).unwrap();
        assert_eq!(
            back.autotask_zone.as_deref(),
            Some("https://webservices15.autotask.net/ATServicesRest/V1.0/")
        );
        assert_eq!(
            export(Vendor::Vsax, None, None),
            r#"{"v":1,"vendor":"vsax"}"#
        );
    }

    #[test]
    fn refuses_foreign_or_garbled_state() {
        for (text, vendor) in [
            (r#"{"v":1,"vendor":"vsax"}"#, Vendor::Autotask),
            (r#"{"v":9,"vendor":"vsax"}"#, Vendor::Vsax),
            ("", Vendor::Vsax),
            ("[]", Vendor::Vsax),
        ] {
            assert_eq!(
                import(text, vendor).unwrap_err().code(),
                ErrorCode::InvalidConfig,
                "{text}"
            );
        }
        let huge = format!(
            r#"{{"v":1,"vendor":"vsax","x":"{}"}}"#,
            "a".repeat(MAX_STATE_LEN)
        );
        assert_eq!(
            import(&huge, Vendor::Vsax).unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
    }
}
