//! Kaseya VSA 9 (REST API v1.0) with mspkit-core, against a fake VSA server in this file.
//!
//! Shows:
//! - logon with a personal access token: `GET /api/v1.0/auth` with `Basic
//!   base64(username:PAT)`, which returns a session token;
//! - every later request carrying `Bearer <session token>` instead;
//! - a session that runs out in the middle of a list: the host pauses for 29 minutes after
//!   page 2 (a laptop lid closed, say), the 30-minute session is about to expire, and the
//!   core logs on again before asking for page 3. No request fails and no page repeats.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p mspkit-core --example vsa9
//! ```
//!
//! The printed `[Basic]` / `[Bearer]` is only the scheme of the Authorization header: never
//! log header values, they are credentials.

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use common::{Host, Server, Show};
use mspkit_core::{Client, ClientOptions, Event, ListOptions, Request, Vsa9Auth};
use serde_json::{json, Value};
use url::Url;

const USERNAME: &str = "alice";
const PAT: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

const MINUTE_MS: u64 = 60_000;

fn main() -> Result<(), mspkit_core::Error> {
    let show = Show {
        noun: "agents",
        name_field: "ComputerName",
        done_note: " (logons included)",
        auth_scheme: true,
        ..Show::default()
    };
    let mut host = Host::new(FakeVsa9::new(USERNAME, PAT), show);
    let mut client = Client::vsa9(
        "vsa.example.com",
        USERNAME,
        PAT,
        Vsa9Auth::Pat,
        ClientOptions::default(),
    )?;
    println!("API base: {}", client.base_url().unwrap_or_default());

    println!("\n== Connection test (logs on first)");
    client.start_test_connection();
    host.run(&mut client)?;

    println!("\n== Listing assetmgmt/agents");
    client.start_list("assetmgmt/agents", &ListOptions::default())?;
    // After page 2 the host stops polling for 29 minutes (a laptop lid closed, say)...
    host.run_until(
        &mut client,
        |event| matches!(event, Event::Page(page) if page.page_number == 2),
    )?;
    host.now_ms += 29 * MINUTE_MS;
    println!("  ... 29 minutes pass; the session has less than a minute left ...");
    // ...then carries on: the core logs on again before it asks for page 3.
    host.run(&mut client)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The fake VSA 9 server: answers like https://vsa.example.com/api/v1.0 would (VENDORS.md §2).

struct FakeVsa9 {
    expected_basic: String,
    /// Session token -> when it expires (Unix ms).
    sessions: HashMap<String, u64>,
    orgs: Vec<Value>,
    agents: Vec<Value>,
}

impl FakeVsa9 {
    fn new(username: &str, pat: &str) -> Self {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{pat}"));
        let orgs = ["myOrg", "Acme", "Globex", "Initech"]
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"OrgId": 1000 + i, "OrgName": name, "OrgRef": name.to_lowercase()}))
            .collect();
        let agents = (1..=230)
            .map(|n| {
                json!({"AgentId": format!("{}", 58_000_000_000u64 + n), "AgentName": format!("ws{n:03}.acme.root"),
                       "ComputerName": format!("WS{n:03}"), "IPAddress": format!("10.0.{}.{}", n / 250, n % 250),
                       "OrgId": 1001, "MachineGroup": "root.acme", "Online": n % 4 != 0})
            })
            .collect();
        FakeVsa9 {
            expected_basic: format!("Basic {basic}"),
            sessions: HashMap::new(),
            orgs,
            agents,
        }
    }
}

impl Server for FakeVsa9 {
    /// Status and body for a request at server time `now_ms`, matched on method and URL.
    fn answer(&mut self, request: &Request, now_ms: u64) -> (u16, String) {
        let Ok(url) = Url::parse(&request.url) else {
            return (400, String::new());
        };
        let auth = request.header("Authorization").unwrap_or_default();
        if (request.method.as_str(), url.path()) == ("GET", "/api/v1.0/auth") {
            if auth != self.expected_basic {
                return in_body_error(401, "Invalid credentials");
            }
            // Sessions last 30 minutes (the default logon policy).
            let token = format!("7605{:08}", self.sessions.len() + 1);
            let expires_at = now_ms + 30 * MINUTE_MS;
            self.sessions.insert(token.clone(), expires_at);
            println!(
                "    (server: session #{} issued, expires {})",
                self.sessions.len(),
                iso8601(expires_at)
            );
            let body = json!({
                "Result": {"TenantId": "1", "Token": token, "UserName": USERNAME, "RoleId": 2, "ScopeId": "2",
                           "AdminId": 64975473, "SessionExpiration": iso8601(expires_at), "OffSetInMinutes": 0},
                "ResponseCode": 0, "Status": "OK", "Error": "None"
            });
            return (200, body.to_string());
        }
        // Everything else needs a live session. VSA 9 reports a dead one under HTTP 200.
        let live = auth
            .strip_prefix("Bearer ")
            .and_then(|token| self.sessions.get(token))
            .is_some_and(|&expires_at| now_ms < expires_at);
        if !live {
            return in_body_error(401, "Session has expired");
        }
        let list =
            match url.path() {
                "/api/v1.0/system/orgs" => &self.orgs,
                "/api/v1.0/assetmgmt/agents" => &self.agents,
                _ => return (
                    404,
                    json!({"Message": "No HTTP resource was found that matches the request URI."})
                        .to_string(),
                ),
            };
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let (top, skip) = (
            param("$top").unwrap_or(100).min(100),
            param("$skip").unwrap_or(0),
        );
        let page: Vec<&Value> = list.iter().skip(skip).take(top).collect();
        let body = json!({"TotalRecords": list.len(), "Result": page, "ResponseCode": 0, "Status": "OK", "Error": "None"});
        (200, body.to_string())
    }
}

fn in_body_error(code: u16, message: &str) -> (u16, String) {
    let body = json!({"Result": null, "ResponseCode": code, "Status": "Error", "Error": message});
    (200, body.to_string())
}

/// Unix ms as `2026-11-22T12:30:00Z` (days-to-civil from Howard Hinnant's date algorithms).
fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
