//! Kaseya VSA 9 REST API v1.0: a session from `GET /api/v1.0/auth` (Basic with a personal
//! access token or the legacy double-hash payload), then `Bearer <token>`; envelopes
//! `{"TotalRecords":N,"Result":[...],"ResponseCode":0,"Status":"OK","Error":"None"}`.

use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{vendor_message, ParsedPage};
use crate::classify::error_for_status;
use crate::items::parse_list_object;
use crate::json::{as_i64_lenient, as_u64_lenient, get_present, message_text, parse_object};
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

/// Parses the /auth response body (HTTP 2xx) that arrived at `now_ms` (host clock), with
/// the response's `Date` header as the server's clock when it sent one.
pub(crate) fn parse_session(
    body: &[u8],
    now_ms: u64,
    server_date_ms: Option<i64>,
) -> Result<Session, Error> {
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
    // The token goes into a header: one that could break out of it is not a token.
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::bad_response(format!(
            "Expected {AUTH_ENVELOPE}, got a \"Token\" with characters a token cannot have"
        )));
    }
    Ok(Session {
        token: Secret::new(token),
        expires_at_ms: session_expiry_ms(
            result,
            i64::try_from(now_ms).unwrap_or(i64::MAX),
            server_date_ms,
        ),
    })
}

/// When to renew, in host-clock Unix ms, or None to rely on the 401 path alone.
///
/// `SessionExpiration` is in the server's clock: shift it by the difference between the
/// host clock and the server's `Date`. Without a zone, VSA sends server-local time with
/// `OffSetInMinutes`, and public clients disagree on the sign of that offset: prefer the
/// earlier reading (renewing early costs one request, late costs a failed one), but only
/// among readings that leave the session usable now. A session that looks over on arrival
/// (skewed clocks, a misread offset) is used until the server refuses it, never thrown
/// away unused: that would log on again and again.
fn session_expiry_ms(
    result: &Map<String, Value>,
    now_ms: i64,
    server_date_ms: Option<i64>,
) -> Option<i64> {
    let stamp = get_present(result, "SessionExpiration")
        .and_then(Value::as_str)
        .and_then(parse_iso8601)?;
    let readings = if stamp.has_zone {
        vec![stamp.unix_ms]
    } else {
        let offset_ms = get_present(result, "OffSetInMinutes")
            .and_then(as_i64_lenient)
            .filter(|m| m.abs() <= 24 * 60)
            .unwrap_or(0)
            * 60_000;
        let (a, b) = (stamp.unix_ms - offset_ms, stamp.unix_ms + offset_ms);
        vec![a.min(b), a.max(b)]
    };
    let skew = server_date_ms.map_or(0, |server_now| now_ms.saturating_sub(server_now));
    readings
        .into_iter()
        .map(|t| t.saturating_add(skew))
        .find(|t| *t > now_ms.saturating_add(RENEW_BEFORE_EXPIRY_MS))
}

/// Parses a list response body (HTTP 2xx); an in-body error becomes the matching error.
pub(crate) fn parse_list(body: &[u8], what: &str) -> Result<ParsedPage, Error> {
    let (map, list) = parse_list_object(body, "Result", LIST_ENVELOPE)?;
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
    let items = list.into_items("Result", LIST_ENVELOPE)?;
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
        // 2026-11-22T12:00:00Z, half an hour before the session ends.
        let noon = 1_795_348_800_000;
        let s = parse_session(br#"{"Result":{"TenantId":"1","Token":"7605abcd","UserName":"alice","SessionExpiration":"2026-11-22T12:30:00Z","OffSetInMinutes":0},"ResponseCode":0,"Status":"OK","Error":"None"}"#, noon, None).unwrap();
        assert_eq!(s.token.expose(), "7605abcd");
        assert_eq!(s.expires_at_ms, Some(1_795_350_600_000));
        let zoneless = br#"{"Result":{"Token":"t","SessionExpiration":"2026-11-22T12:30:00","OffSetInMinutes":20},"ResponseCode":0}"#;
        let s = parse_session(zoneless, noon, None).unwrap();
        assert_eq!(
            s.expires_at_ms,
            Some(1_795_350_600_000 - 1_200_000),
            "the earlier reading"
        );
        let s = parse_session(br#"{"Result":{"Token":"t"},"ResponseCode":0}"#, noon, None).unwrap();
        assert_eq!(s.expires_at_ms, None);
    }

    #[test]
    fn session_expiry_follows_the_server_clock_and_never_starts_expired() {
        let body = br#"{"Result":{"Token":"t","SessionExpiration":"2026-11-22T12:30:00Z"},"ResponseCode":0}"#;
        let server_noon = 1_795_348_800_000;
        // Host clock 31 minutes ahead of the server: the session still has 30 minutes.
        let host = server_noon + 31 * 60_000;
        let s = parse_session(body, host as u64, Some(server_noon)).unwrap();
        assert_eq!(s.expires_at_ms, Some(host + 30 * 60_000));
        // Same skew without a Date header: it looks over, so it is used until refused.
        let s = parse_session(body, host as u64, None).unwrap();
        assert_eq!(s.expires_at_ms, None);
        // A misread offset sign lands in the past: the other reading is taken.
        let zoneless = br#"{"Result":{"Token":"t","SessionExpiration":"2026-11-22T07:30:00","OffSetInMinutes":-300},"ResponseCode":0}"#;
        let s = parse_session(zoneless, server_noon as u64, None).unwrap();
        assert_eq!(s.expires_at_ms, Some(server_noon + 30 * 60_000));
    }

    #[test]
    fn session_errors() {
        let e = parse_session(
            br#"{"Result":null,"ResponseCode":401,"Status":"Error","Error":"Invalid credentials"}"#,
            0,
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert_eq!(e.vendor_message(), Some("Invalid credentials"));
        let e =
            parse_session(br#"{"Result":{"UserName":"x"},"ResponseCode":0}"#, 0, None).unwrap_err();
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
