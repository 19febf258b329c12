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
//! The core does no I/O: the host loop in `common/mod.rs` hands each request to the fake
//! VSA X server below. In a real program that is your HTTP client, and `Action::Wait` is a
//! sleep.

mod common;

use base64::Engine as _;
use common::{Host, Server, Show};
use mspkit_core::{Client, ClientOptions, ListOptions, Request};
use serde_json::{json, Value};
use url::Url;

const TOKEN_ID: &str = "3f6d0c1e-TOKEN-ID";
const TOKEN_SECRET: &str = "s3cr3t-shown-once";

fn main() -> Result<(), mspkit_core::Error> {
    let show = Show {
        noun: "devices",
        name_field: "Name",
        ..Show::default()
    };
    let mut host = Host::new(FakeVsax::new(TOKEN_ID, TOKEN_SECRET), show);

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
}

impl Server for FakeVsax {
    /// Status and body for a request, matched on method and URL.
    fn answer(&mut self, request: &Request, _now_ms: u64) -> (u16, String) {
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
