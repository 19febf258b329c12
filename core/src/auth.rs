//! Credentials per vendor and the headers that carry them.

use crate::pacing::Jitter;
use crate::secret::{Redactor, Secret};
use crate::vendors::{basic, basic_credentials, vsa9};
use crate::{Error, Vendor};

/// How a VSA 9 client logs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vsa9Auth {
    /// Personal access token (preferred since 2021): Basic `username:PAT` on /auth.
    Pat,
    /// Legacy password auth with the double-hash payload. `nonce` is the random number the
    /// host chose (the core never reads the OS); later renewals derive theirs from it.
    Password {
        /// The random decimal number sent as `rand2`.
        nonce: u64,
    },
}

/// A client's credentials, kept as secrets.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// VSA X and the Data Warehouse: a fixed Basic value on every request. The raw
    /// secret is kept only so the redactor can remove a server's echo of it.
    Basic {
        authorization: Secret,
        secret: Secret,
    },
    /// VSA 9 REST: Basic on /auth, then a session Bearer.
    Vsa9 {
        username: String,
        token: Secret,
        auth: Vsa9Auth,
        logons: u64,
    },
    /// Autotask: three headers on every request.
    Autotask {
        username: String,
        secret: Secret,
        integration_code: Secret,
        impersonation_resource_id: Option<u64>,
    },
}

/// Checks one credential field: present, and free of characters that would break or
/// smuggle a header. The message names the field, never its value.
pub(crate) fn check_field(name: &str, value: &str, vendor: Vendor) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::config(
            format!("{name} is empty"),
            format!(
                "Pass the {name} of your {} API credentials.",
                vendor.display_name()
            ),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::config(
            format!("{name} contains a control character (a line break or tab?)"),
            format!("Copy the {name} again without surrounding line breaks."),
        ));
    }
    Ok(value.to_string())
}

/// Like [`check_field`], and refuses `:` which would split a Basic pair in the wrong place.
pub(crate) fn check_basic_user(name: &str, value: &str, vendor: Vendor) -> Result<String, Error> {
    let value = check_field(name, value, vendor)?;
    if value.contains(':') {
        return Err(Error::config(
            format!("{name} contains a ':'"),
            format!("A {name} cannot contain ':'; check that you pasted the {name} and not a token pair."),
        ));
    }
    Ok(value)
}

impl Credentials {
    /// Registers every secret form with `redactor` (raw values and encoded headers).
    pub fn register(&self, redactor: &mut Redactor) {
        match self {
            Credentials::Basic {
                authorization,
                secret,
            } => {
                redactor.add(secret.expose());
                redactor.add(authorization.expose());
                if let Some(encoded) = authorization.expose().strip_prefix("Basic ") {
                    redactor.add(encoded);
                }
            }
            Credentials::Vsa9 {
                username, token, ..
            } => {
                redactor.add(token.expose());
                let basic = basic_credentials(username, token.expose());
                redactor.add(basic.trim_start_matches("Basic "));
            }
            Credentials::Autotask {
                secret,
                integration_code,
                ..
            } => {
                redactor.add(secret.expose());
                redactor.add(integration_code.expose());
            }
        }
    }

    /// The `Authorization` value for a VSA 9 /auth request. Each call is a new logon: the
    /// legacy payload gets a fresh nonce derived from the host's.
    pub fn vsa9_logon(&mut self, redactor: &mut Redactor) -> Option<Secret> {
        let Credentials::Vsa9 {
            username,
            token,
            auth,
            logons,
        } = self
        else {
            return None;
        };
        let value = match auth {
            Vsa9Auth::Pat => basic_credentials(username, token.expose()),
            Vsa9Auth::Password { nonce } => {
                let n = if *logons == 0 {
                    *nonce
                } else {
                    derive_nonce(*nonce, *logons)
                };
                basic(&vsa9::legacy_auth_payload(username, token.expose(), n))
            }
        };
        *logons += 1;
        redactor.add(value.trim_start_matches("Basic "));
        Some(Secret::new(value))
    }

    /// Headers for a request to the vendor API itself (not /auth, not zone discovery).
    pub fn api_headers(&self, session_token: Option<&Secret>) -> Vec<(String, String)> {
        match self {
            Credentials::Basic { authorization, .. } => {
                vec![("Authorization".into(), authorization.expose().to_string())]
            }
            Credentials::Vsa9 { .. } => session_token
                .map(|t| vec![("Authorization".into(), format!("Bearer {}", t.expose()))])
                .unwrap_or_default(),
            Credentials::Autotask {
                username,
                secret,
                integration_code,
                impersonation_resource_id,
            } => {
                let mut headers = vec![
                    (
                        "ApiIntegrationCode".to_string(),
                        integration_code.expose().to_string(),
                    ),
                    ("UserName".to_string(), username.clone()),
                    ("Secret".to_string(), secret.expose().to_string()),
                ];
                if let Some(id) = impersonation_resource_id {
                    headers.push(("ImpersonationResourceId".into(), id.to_string()));
                }
                headers
            }
        }
    }

    /// The Autotask API username (for zone discovery).
    pub fn autotask_username(&self) -> Option<&str> {
        match self {
            Credentials::Autotask { username, .. } => Some(username),
            _ => None,
        }
    }
}

/// A new nonce for the `n`th logon from the host's seed: renewals must not replay the
/// first logon's number, and the core may not read the OS for randomness.
fn derive_nonce(seed: u64, n: u64) -> u64 {
    let mut stream = Jitter::new(seed);
    let value = (0..n).fold(0, |_, _| stream.next_u64());
    // Kaseya's clients send an 8-digit-ish decimal; keep it in a familiar range.
    value % 100_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn legacy_logon_encodes_the_payload_and_renewals_change_the_nonce() {
        let mut creds = Credentials::Vsa9 {
            username: "alice".into(),
            token: Secret::new("p@ssw0rd"),
            auth: Vsa9Auth::Password { nonce: 12345678 },
            logons: 0,
        };
        let mut r = Redactor::default();
        let first = creds.vsa9_logon(&mut r).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(first.expose().strip_prefix("Basic ").unwrap())
            .unwrap();
        let text = String::from_utf8(decoded).unwrap();
        assert!(
            text.contains("pass2=228fd71a9e1e75cf86f7c2baf07fd300b6ad8a382db2e2d15efd44e7266b6632")
        );
        assert!(text.ends_with("rand2=12345678"));
        let second = creds.vsa9_logon(&mut r).unwrap();
        assert_ne!(first, second);
        assert_eq!(r.scrub(first.expose()), "Basic [redacted]");
    }

    #[test]
    fn pat_logon_is_basic_username_colon_pat() {
        let mut creds = Credentials::Vsa9 {
            username: "alice".into(),
            token: Secret::new("0f8fad5b-d9cb-469f-a165-70867728950e"),
            auth: Vsa9Auth::Pat,
            logons: 0,
        };
        let value = creds.vsa9_logon(&mut Redactor::default()).unwrap();
        assert_eq!(
            value.expose(),
            basic_credentials("alice", "0f8fad5b-d9cb-469f-a165-70867728950e")
        );
    }

    #[test]
    fn fields_are_checked_without_echoing_them() {
        let e = check_basic_user("token_id", "abc:def", Vendor::Vsax).unwrap_err();
        assert!(!e.message().contains("abc"));
        let e = check_field("secret", "se\ncret", Vendor::Autotask).unwrap_err();
        assert!(!e.to_string().contains("se\ncret"));
        assert_eq!(check_field("x", "  v  ", Vendor::Vsax).unwrap(), "v");
        assert!(check_field("x", "   ", Vendor::Vsax).is_err());
    }
}
