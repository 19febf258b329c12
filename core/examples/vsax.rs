//! Kaseya VSA X with mspkit-core, end to end, against a fake tenant that lives in this file.
//!
//! Shows:
//! - a messily pasted tenant URL (`"  HTTPS://Acme.VSAX.net//api/v3// "`) normalised to
//!   the API base;
//! - a connection test (one request: `organizations?$top=1`, read `Meta.TotalCount`);
//! - listing 250 devices over 3 pages of `$top=100&$skip=N`;
//! - a client with the wrong token secret: the 401 comes back as an error with a message
//!   and a remediation a user can act on.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p mspkit-core --example vsax
//! ```
//!
//! The core does no I/O: the host loop below hands each request to a function that plays
//! the VSA X server. In a real program that function is your HTTP client, and
//! `Action::Wait` is a sleep.

use base64::Engine as _;
use mspkit_core::{Action, Client, ClientOptions, Event, ListOptions, Request};
use serde_json::{json, Value};
use url::Url;

const TOKEN_ID: &str = "3f6d0c1e-TOKEN-ID";
const TOKEN_SECRET: &str = "s3cr3t-shown-once";

fn main() -> Result<(), mspkit_core::Error> {
    let mut host = Host::new(FakeVsax::new(TOKEN_ID, TOKEN_SECRET));

    // 1. What the user pasted into the settings form, and what mspkit makes of it.
    let pasted = "  HTTPS://Acme.VSAX.net//api/v3// ";
    let mut client = Client::vsax(pasted, TOKEN_ID, TOKEN_SECRET, ClientOptions::default())?;
    println!("Tenant URL as pasted: {pasted:?}");
    println!(
        "Normalised API base:  {}",
        client.base_url().unwrap_or_default()
    );

    // 2. Connection test: the "Test connection" button of a settings page.
    println!("\n== Connection test");
    client.start_test_connection();
    host.run(&mut client)?;

    // 3. Every device, page by page.
    println!("\n== Listing devices");
    client.start_list("devices", &ListOptions::default())?;
    host.run(&mut client)?;

    // 4. The same tenant with a mistyped secret: what the user sees.
    println!("\n== Connection test with a wrong token secret");
    let mut wrong = Client::vsax(pasted, TOKEN_ID, "not-the-secret", ClientOptions::default())?;
    wrong.start_test_connection();
    host.run(&mut wrong)?;
    Ok(())
}

/// The host: an HTTP client (here the fake server) and a clock (here a counter).
struct Host {
    server: FakeVsax,
    now_ms: u64,
}

impl Host {
    fn new(server: FakeVsax) -> Self {
        // Any Unix time works; the core only compares the instants it is given.
        Host {
            server,
            now_ms: 1_767_225_600_000,
        }
    }

    /// The host loop: poll, do what the action says, until the client is idle.
    fn run(&mut self, client: &mut Client) -> Result<(), mspkit_core::Error> {
        while let Some(action) = client.poll(self.now_ms) {
            match action {
                Action::Send(request) => {
                    // Log the method and URL only: headers carry the credentials.
                    println!("  {} {}", request.method, request.url);
                    let (status, body) = self.server.answer(&request);
                    self.now_ms += 180; // the round trip
                    let headers = [("Content-Type".to_string(), "application/json".to_string())];
                    client.handle_response(
                        request.id,
                        status,
                        &headers,
                        body.as_bytes(),
                        self.now_ms,
                    )?;
                }
                // A real host sleeps until then; the fake clock just jumps.
                Action::Wait { until_ms } => self.now_ms = self.now_ms.max(until_ms),
                Action::Event(event) => print_event(&event),
            }
        }
        Ok(())
    }
}

/// What a user would see for each event.
fn print_event(event: &Event) {
    match event {
        Event::Page(page) => {
            let names: Vec<&str> = page
                .items
                .iter()
                .take(2)
                .filter_map(|item| item["Name"].as_str())
                .collect();
            let total = page.total.map_or("?".to_string(), |t| t.to_string());
            println!(
                "  page {}: {} devices (total {total}), e.g. {}",
                page.page_number,
                page.items.len(),
                names.join(", ")
            );
        }
        Event::Done {
            items,
            requests_made,
            ..
        } => println!(
            "  done: {items} devices in {}",
            plural(*requests_made, "request")
        ),
        Event::Failed { error, .. } => {
            println!("  failed [{}]: {}", error.code().as_str(), error.message());
            println!("  what to do: {}", error.remediation());
        }
        Event::Connection { report, .. } => {
            let sent = plural(report.requests_made, "request");
            println!("  {}  ({sent})", report.message);
            if let Some(error) = &report.error {
                let status = error
                    .status()
                    .map_or(String::new(), |s| format!(", HTTP {s}"));
                println!("  error code:  {}{status}", error.code().as_str());
                if let Some(said) = error.vendor_message() {
                    println!("  server said: {said}");
                }
                println!("  what to do:  {}", error.remediation());
            }
        }
    }
}

fn plural(n: u32, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

// ---------------------------------------------------------------------------------------
// The fake VSA X tenant: answers like https://acme.vsax.net/api/v3 would (VENDORS.md §1).

struct FakeVsax {
    expected_authorization: String,
    organizations: Vec<Value>,
    devices: Vec<Value>,
}

impl FakeVsax {
    fn new(token_id: &str, token_secret: &str) -> Self {
        let pair = format!("{token_id}:{token_secret}");
        let organizations = ["Acme HQ", "Acme Retail", "Acme Labs"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                json!({"Id": 100 + i, "Name": name, "HasCustomFields": false,
                       "PsaMappingId": null, "PsaMappingType": null})
            })
            .collect();
        let devices = (1..=250)
            .map(|n| {
                let (site, group) = if n % 3 == 0 {
                    ("Lab", 12)
                } else {
                    ("Head Office", 11)
                };
                json!({
                    "Identifier": format!("5e0c7a2b-0000-4000-8000-{n:012}"),
                    "Name": format!("ACME-WS-{n:03}"),
                    "GroupId": group, "GroupName": format!("{site} Workstations"),
                    "SiteId": group - 10, "SiteName": site,
                    "OrganizationId": 100, "OrganizationName": "Acme HQ",
                    "IsAgentInstalled": true, "IsMdmEnrolled": false, "HasCustomFields": false
                })
            })
            .collect();
        FakeVsax {
            expected_authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
            organizations,
            devices,
        }
    }

    /// Status and body for a request, matched on method and URL.
    fn answer(&self, request: &Request) -> (u16, String) {
        if request.header("Authorization") != Some(self.expected_authorization.as_str()) {
            return error(401, "Authorization has been denied for this request.");
        }
        let Ok(url) = Url::parse(&request.url) else {
            return error(400, "Bad request");
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
        let list = match (request.method.as_str(), url.path()) {
            ("GET", "/api/v3/organizations") => &self.organizations,
            ("GET", "/api/v3/devices") => &self.devices,
            _ => return error(404, "Entity is not found."),
        };
        let page: Vec<&Value> = list.iter().skip(skip).take(top).collect();
        let body = json!({"Data": page, "Meta": {"ResponseCode": 200, "TotalCount": list.len()}});
        (200, body.to_string())
    }
}

fn error(status: u16, message: &str) -> (u16, String) {
    let body = json!({"Data": null, "Meta": {"ResponseCode": status, "ErrorMessage": message}});
    (status, body.to_string())
}
