//! Kaseya VSA 9 REST API under /api/v1.0: sessions from /auth (personal access token or
//! the legacy hashed password), renewed by /authx, that expire; the `{"TotalRecords",
//! "Result","ResponseCode"}` envelope; `$top` capped at 100; Int32 id fields.

use std::time::{Instant, SystemTime};

use base64::Engine;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{count_param, error, find_by, odata_select, rate_limited};
use crate::data::Record;
use crate::faults::RetryAfterForm;
use crate::http::{SimRequest, SimResponse};
use crate::limits::real;
use crate::router::Api;
use crate::sim::{Session, Sim};
use crate::timefmt::iso;

const MAX_TOP: usize = 100;
/// Id fields are Edm.Int32: a literal beyond i32 in a filter is a 400.
const INT32_FIELDS: &[&str] = &[
    "OrgId",
    "MachineGroupId",
    "ParentMachineGroupId",
    "DefaultDepartmentId",
    "DefaultMachineGroupId",
];

pub fn handle(sim: &Sim, req: &SimRequest) -> SimResponse {
    let segments = req.segments_after(Api::Vsa9.prefix()).unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Err(wait) = sim.lock().rates.admit("vsa9.default", Instant::now()) {
        return rate_limited(
            Api::Vsa9,
            wait,
            RetryAfterForm::Seconds,
            "Too many requests",
        );
    }
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["auth"]) => logon(sim, req),
        ("GET", ["authx"]) => match session(sim, req) {
            Ok(username) => start_session(sim, username),
            Err(response) => response,
        },
        _ => match session(sim, req) {
            Ok(username) => route(sim, req, &segs, &username),
            Err(response) => response,
        },
    }
}

/// The user a Basic header proves, by PAT or by the legacy password payload.
fn logon(sim: &Sim, req: &SimRequest) -> SimResponse {
    let creds = &sim.credentials.vsa9;
    let decoded = req
        .header("authorization")
        .and_then(|v| {
            v.trim()
                .strip_prefix("Basic ")
                .or_else(|| v.trim().strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let user = decoded.and_then(|text| {
        if text.starts_with("user=") {
            legacy_user(&text, &creds.username, &creds.password)
        } else {
            let (user, token) = text.split_once(':')?;
            let known = (user.eq_ignore_ascii_case(&creds.username) && token == creds.token)
                || (user.eq_ignore_ascii_case(&creds.limited.username)
                    && token == creds.limited.token);
            known.then(|| user.to_string())
        }
    });
    match user {
        Some(user) => start_session(sim, user),
        None => SimResponse::json(
            401,
            &json!({"Result": null, "ResponseCode": 401, "Status": "Unauthorized", "Error": "Invalid credentials: the username or access token is wrong."}),
        ),
    }
}

fn hex256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex1(text: &str) -> String {
    hex(&Sha1::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `user=U,pass2=P2,pass1=P1,rpass2=R2,rpass1=R1,rand2=N` (VENDORS.md): P2 =
/// H256(H256(password + username) + N), P1 the same with SHA-1, R2/R1 the plain hashes.
fn legacy_user(payload: &str, username: &str, password: &str) -> Option<String> {
    let field = |name: &str| {
        payload
            .split(',')
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
    };
    let user = field("user")?;
    let nonce = field("rand2")?;
    if !user.eq_ignore_ascii_case(username)
        || nonce.is_empty()
        || !nonce.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let p2 = hex256(&format!("{}{nonce}", hex256(&format!("{password}{user}"))));
    let p1 = hex1(&format!("{}{nonce}", hex1(&format!("{password}{user}"))));
    let ok = field("pass2")? == p2
        && field("pass1")? == p1
        && field("rpass2")? == hex256(password)
        && field("rpass1")? == hex1(password);
    ok.then(|| user.to_string())
}

fn start_session(sim: &Sim, username: String) -> SimResponse {
    let mut state = sim.lock();
    let lifetime = real(state.config.vsa9_session_secs, state.config.time_scale);
    state.session_counter += 1;
    let token = format!(
        "{:016x}{:016x}",
        fastrand::u64(..),
        state.session_counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    );
    let expires_wall = SystemTime::now() + lifetime;
    state.sessions.insert(
        token.clone(),
        Session {
            username: username.clone(),
            expires: Instant::now() + lifetime,
            expires_wall,
        },
    );
    // Sessions nobody uses any more would pile up over a long benchmark.
    if state.sessions.len() > 10_000 {
        let now = Instant::now();
        state.sessions.retain(|_, s| s.expires > now);
    }
    drop(state);
    SimResponse::json(
        200,
        &json!({
            "Result": {
                "TenantId": "1",
                "Token": token,
                "UserName": username,
                "RoleId": 2,
                "ScopeId": "2",
                "AdminId": 64975473,
                "MachineId": null,
                "SessionExpiration": iso(expires_wall),
                "OffSetInMinutes": 0,
            },
            "ResponseCode": 0,
            "Status": "OK",
            "Error": "None",
        }),
    )
}

/// The session's user, or the answer for a missing, unknown or expired session.
fn session(sim: &Sim, req: &SimRequest) -> Result<String, SimResponse> {
    let unauthorized = || {
        SimResponse::json(
            401,
            &json!({"Result": null, "ResponseCode": 401, "Status": "Unauthorized", "Error": "Authorization has been denied for this request."}),
        )
    };
    let token = req.bearer().ok_or_else(unauthorized)?;
    let state = sim.lock();
    let session = state.sessions.get(token).ok_or_else(unauthorized)?;
    if session.expires <= Instant::now() {
        // VSA 9 answers an expired session with HTTP 200 and the 401 in the body.
        return Err(SimResponse::json(
            200,
            &json!({"Result": null, "ResponseCode": 401, "Status": "Unauthorized", "Error": "Session has expired. Log on again."}),
        ));
    }
    Ok(session.username.clone())
}

fn route(sim: &Sim, req: &SimRequest, segs: &[&str], username: &str) -> SimResponse {
    let creds = &sim.credentials.vsa9;
    let path = segs.join("/");
    if username.eq_ignore_ascii_case(&creds.limited.username)
        && creds.limited.denied.iter().any(|d| {
            path.eq_ignore_ascii_case(d)
                || path
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}/", d.to_ascii_lowercase()))
        })
    {
        return error(
            Api::Vsa9,
            403,
            "The user's role has no access to this function.",
        );
    }
    let data = sim.data();
    let v = &data.vsa9;
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match (req.method.as_str(), lower.as_slice()) {
        ("GET", ["system", "orgs"]) => list(req, &v.orgs),
        ("GET", ["system", "orgs", id]) => item(find_by(&v.orgs, "OrgId", id)),
        ("GET", ["system", "machinegroups"]) => list(req, &v.machine_groups),
        ("GET", ["assetmgmt", "agents"]) => list(req, &v.agents),
        ("GET", ["assetmgmt", "agents", id]) => item(find_by(&v.agents, "AgentId", id)),
        ("GET", ["environment"]) => SimResponse::json(
            200,
            &json!({"Result": {"ProductVersion": "9.5.20.3", "IsHosted": false}, "ResponseCode": 0, "Status": "OK", "Error": "None"}),
        ),
        _ => error(
            Api::Vsa9,
            404,
            "No HTTP resource was found that matches the request URI.",
        ),
    }
}

fn item(record: Option<&Record>) -> SimResponse {
    match record {
        Some(record) => SimResponse::json(
            200,
            &json!({"Result": record, "ResponseCode": 0, "Status": "OK", "Error": "None"}),
        ),
        None => error(Api::Vsa9, 404, "The requested item does not exist."),
    }
}

fn list(req: &SimRequest, records: &[Record]) -> SimResponse {
    let bad = |problem: String| error(Api::Vsa9, 400, &problem);
    let selected = match odata_select(records, req, INT32_FIELDS) {
        Ok(selected) => selected,
        Err(problem) => return bad(problem),
    };
    // The server caps $top at 100 whatever is asked.
    let top = match count_param(req, "$top", MAX_TOP) {
        Ok(top) => top.clamp(1, MAX_TOP),
        Err(problem) => return bad(problem),
    };
    let skip = match count_param(req, "$skip", 0) {
        Ok(skip) => skip,
        Err(problem) => return bad(problem),
    };
    let page: Vec<&Record> = selected.iter().skip(skip).take(top).copied().collect();
    SimResponse::json(
        200,
        &json!({
            "TotalRecords": selected.len(),
            "Result": page,
            "ResponseCode": 0,
            "Status": "OK",
            "Error": "None",
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_payload_checks_every_hash() {
        let (user, password, nonce) = ("admin", "s3cret", "12345");
        let payload = format!(
            "user={user},pass2={},pass1={},rpass2={},rpass1={},rand2={nonce}",
            hex256(&format!("{}{nonce}", hex256(&format!("{password}{user}")))),
            hex1(&format!("{}{nonce}", hex1(&format!("{password}{user}")))),
            hex256(password),
            hex1(password),
        );
        assert_eq!(legacy_user(&payload, user, password).as_deref(), Some(user));
        assert_eq!(legacy_user(&payload, user, "other"), None);
        assert_eq!(
            legacy_user(
                &payload.replace("rand2=12345", "rand2=12346"),
                user,
                password
            ),
            None
        );
        assert_eq!(legacy_user("user=admin", user, password), None);
    }
}
