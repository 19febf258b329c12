//! Kaseya VSA 9 REST API v1.0: a session from `GET /api/v1.0/auth` (Basic with a personal
//! access token or the legacy double-hash payload), then `Bearer <token>`; envelopes
//! `{"TotalRecords":N,"Result":[...],"ResponseCode":0,"Status":"OK","Error":"None"}`.

use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{vendor_message, ParsedPage};
use crate::classify::error_for_status;
use crate::json::{
    as_i64_lenient, as_u64_lenient, get_present, message_text, parse_object, take_list,
};
use crate::timestamp::parse_iso8601;
use crate::{Error, ErrorCode, Secret, Vendor};

/// The server caps `$top` at this, whatever is asked.
pub(crate) const MAX_PAGE_SIZE: u32 = 100;

/// Renew the session when less than this is left before it expires.
pub(crate) const RENEW_BEFORE_EXPIRY_MS: i64 = 60_000;

const LIST_ENVELOPE: &str = "a Kaseya VSA 9 list envelope ({\"Result\":[...],\"TotalRecords\":N})";
const AUTH_ENVELOPE: &str = "a Kaseya VSA 9 session ({\"Result\":{\"Token\":...}})";

/// A VSA 9 session from /auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub token: Secret,
    /// When the session ends, in Unix ms; None when the server did not say.
    pub expires_at_ms: Option<i64>,
}

/// The legacy password-auth Basic payload (before base64):
/// `user=U,pass2=P2,pass1=P1,rpass2=R2,rpass1=R1,rand2=N` where
/// P2 = sha256(sha256(password+user)+N), P1 = sha1(sha1(password+user)+N),
/// R2 = sha256(password), R1 = sha1(password), all lowercase hex.
pub(crate) fn legacy_auth_payload(username: &str, password: &str, nonce: u64) -> String {
    let n = nonce.to_string();
    let pass2 = sha256_hex(&format!(
        "{}{n}",
        sha256_hex(&format!("{password}{username}"))
    ));
    let pass1 = sha1_hex(&format!(
        "{}{n}",
        sha1_hex(&format!("{password}{username}"))
    ));
    format!(
        "user={username},pass2={pass2},pass1={pass1},rpass2={},rpass1={},rand2={n}",
        sha256_hex(password),
        sha1_hex(password)
    )
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn sha1_hex(text: &str) -> String {
    hex(&Sha1::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses the /auth response body (HTTP 2xx). `now_ms` guards against a session that is
/// already over by the host's clock.
pub(crate) fn parse_session(body: &[u8]) -> Result<Session, Error> {
    let map = parse_object(body, AUTH_ENVELOPE)?;
    check_in_body_status(&map, body, "a session")?;
    let Some(Value::Object(result)) = get_present(&map, "Result") else {
        return Err(Error::bad_response(format!(
            "Expected {AUTH_ENVELOPE}, got no \"Result\" object"
        )));
    };
    let token = get_present(result, "Token")
        .and_then(message_text)
        .ok_or_else(|| {
            Error::bad_response(format!("Expected {AUTH_ENVELOPE}, got no \"Token\""))
        })?;
    Ok(Session {
        token: Secret::new(token),
        expires_at_ms: session_expiry_ms(result),
    })
}

/// `SessionExpiration` as Unix ms. With an explicit zone it is exact. Without one, VSA
/// sends server-local time plus `OffSetInMinutes`, and public clients disagree on the
/// sign of that offset: take the earlier reading, since renewing a little early costs one
/// request while renewing late costs a failed one.
fn session_expiry_ms(result: &Map<String, Value>) -> Option<i64> {
    let stamp = get_present(result, "SessionExpiration")
        .and_then(Value::as_str)
        .and_then(parse_iso8601)?;
    if stamp.has_zone {
        return Some(stamp.unix_ms);
    }
    let offset_ms = get_present(result, "OffSetInMinutes")
        .and_then(as_i64_lenient)
        .filter(|m| m.abs() <= 24 * 60)
        .unwrap_or(0)
        * 60_000;
    Some((stamp.unix_ms - offset_ms).min(stamp.unix_ms + offset_ms))
}

/// Parses a list response body (HTTP 2xx); an in-body error becomes the matching error.
pub(crate) fn parse_list(body: &[u8], what: &str) -> Result<ParsedPage, Error> {
    let mut map = parse_object(body, LIST_ENVELOPE)?;
    check_in_body_status(&map, body, what)?;
    if get_present(&map, "Result").is_none() && get_present(&map, "ResponseCode").is_none() {
        return Err(Error::bad_response(format!(
            "Expected {LIST_ENVELOPE}, got an object without \"Result\""
        )));
    }
    if matches!(get_present(&map, "Result"), Some(Value::Object(_))) {
        return Err(Error::bad_response(format!(
            "Expected {LIST_ENVELOPE}, got a single item: {what} is not a list endpoint"
        )));
    }
    let total = get_present(&map, "TotalRecords").and_then(as_u64_lenient);
    let items = take_list(&mut map, "Result", LIST_ENVELOPE)?;
    Ok(ParsedPage {
        items,
        total,
        next_link: None,
    })
}

/// VSA 9 reports errors in `ResponseCode` (0 = OK), sometimes under HTTP 200 — an
/// expired or bad token comes back as `"ResponseCode":401`.
fn check_in_body_status(map: &Map<String, Value>, body: &[u8], what: &str) -> Result<(), Error> {
    let Some(code) = get_present(map, "ResponseCode").and_then(as_u64_lenient) else {
        return Ok(());
    };
    match code {
        0 | 200..=299 => Ok(()),
        400..=599 => Err(error_for_status(
            Vendor::Vsa9,
            code as u16,
            what,
            vendor_message(body),
        )),
        other => Err(Error::new(
            ErrorCode::ServerError,
            format!("Kaseya VSA 9 reported error code {other} for {what}"),
            "The server refused the request; the vendor message says why. If it is \
             unclear, check the server's REST API logs.",
        )
        .with_vendor_message(vendor_message(body))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_payload_matches_the_documented_check_values() {
        let payload = legacy_auth_payload("alice", "p@ssw0rd", 12345678);
        assert!(payload.starts_with("user=alice,pass2=228fd71a9e1e75cf86f7c2baf07fd300b6ad8a382db2e2d15efd44e7266b6632,pass1=6f9f50ffc41140175d376617dbaccc7b1e9be17f,rpass2="));
        assert!(payload.ends_with(",rand2=12345678"));
        assert_eq!(payload.split(',').count(), 6);
        let rpass2 = payload.split(',').nth(3).unwrap();
        assert_eq!(rpass2, format!("rpass2={}", sha256_hex("p@ssw0rd")));
    }

    #[test]
    fn session_with_zone_and_without() {
        let s = parse_session(br#"{"Result":{"TenantId":"1","Token":"7605abcd","UserName":"alice","SessionExpiration":"2026-11-22T12:30:00Z","OffSetInMinutes":0},"ResponseCode":0,"Status":"OK","Error":"None"}"#).unwrap();
        assert_eq!(s.token.expose(), "7605abcd");
        assert_eq!(s.expires_at_ms, Some(1_795_350_600_000));
        let s = parse_session(br#"{"Result":{"Token":"t","SessionExpiration":"2026-11-22T12:30:00","OffSetInMinutes":60},"ResponseCode":0}"#).unwrap();
        assert_eq!(s.expires_at_ms, Some(1_795_350_600_000 - 3_600_000));
        let s = parse_session(br#"{"Result":{"Token":"t"},"ResponseCode":0}"#).unwrap();
        assert_eq!(s.expires_at_ms, None);
    }

    #[test]
    fn session_errors() {
        let e = parse_session(
            br#"{"Result":null,"ResponseCode":401,"Status":"Error","Error":"Invalid credentials"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert_eq!(e.vendor_message(), Some("Invalid credentials"));
        let e = parse_session(br#"{"Result":{"UserName":"x"},"ResponseCode":0}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadResponse);
        assert!(e.message().contains("Token"));
    }

    #[test]
    fn list_envelope_and_in_body_401() {
        let page = parse_list(
            br#"{"TotalRecords":3,"Result":[{"OrgId":1},{"OrgId":2}],"ResponseCode":0,"Status":"OK","Error":"None"}"#,
            "system/orgs",
        )
        .unwrap();
        assert_eq!((page.items.len(), page.total), (2, Some(3)));
        let e = parse_list(
            br#"{"Result":null,"ResponseCode":401,"Status":"Error","Error":"Session has expired"}"#,
            "x",
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        let e = parse_list(br#"{"Result":null,"ResponseCode":17,"Error":"odd"}"#, "x").unwrap_err();
        assert_eq!(e.code(), ErrorCode::ServerError);
        let e = parse_list(br#"{"Result":{"OrgId":1},"ResponseCode":0}"#, "x").unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadResponse);
    }
}
