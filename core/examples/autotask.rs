//! Autotask PSA (REST API v1.0) with mspkit-core, against a fake Autotask in this file.
//!
//! Shows:
//! - zone discovery: the client knows only the API user, asks
//!   `webservices.autotask.net/.../zoneInformation?user=...` which zone serves it, and sends
//!   everything else there;
//! - a connection test (`POST Companies/query/count`);
//! - 1,200 companies over 3 pages of 500: `POST Companies/query`, then each
//!   `pageDetails.nextPageUrl` with the same method and body;
//! - `export_state()`: the zone, worth keeping between runs (no secret in it);
//! - resuming in a new client (a new process, say) from the cursor of page 2: with the
//!   imported state it skips zone discovery, and only page 3 arrives.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p mspkit-core --example autotask
//! ```

mod common;

use common::{Host, Server, Show};
use mspkit_core::{Client, ClientOptions, ListOptions, Request};
use serde_json::{json, Value};
use url::Url;

const USERNAME: &str = "sync.api@acme.example";
const SECRET: &str = "Xy7$kP2#wQ9!mR4";
const INTEGRATION_CODE: &str = "ACMESYNC2FQXK7Z3T5";

fn main() -> Result<(), mspkit_core::Error> {
    let show = Show {
        noun: "companies",
        name_field: "companyName",
        ..Show::default()
    };
    let mut host = Host::new(FakeAutotask::new(), show);
    let mut client = Client::autotask(
        USERNAME,
        SECRET,
        INTEGRATION_CODE,
        None,
        None,
        ClientOptions::default(),
    )?;
    let zone = client.base_url().unwrap_or_else(|| "not known yet".into());
    println!("Zone before the first request: {zone}");

    println!("\n== Connection test (zone discovery first)");
    client.start_test_connection();
    host.run(&mut client)?;
    println!("Zone: {}", client.base_url().unwrap_or_default());

    println!("\n== Listing Companies");
    client.start_list("Companies", &ListOptions::default())?;
    host.run(&mut client)?;

    // What to store for the next run. Only the zone: never a secret.
    let state = client.export_state();
    println!("\nexport_state(): {state}");

    // Say the process stopped after page 2 and the cursor of page 2 was saved. A new
    // client (same credentials, the saved state) resumes from it.
    println!("\n== A new client resumes from the cursor of page 2");
    let (_, cursor) = host.pages[1].clone();
    println!("cursor of page 2: {cursor}");
    let mut resumed = Client::autotask(
        USERNAME,
        SECRET,
        INTEGRATION_CODE,
        None,
        None,
        ClientOptions::default(),
    )?;
    resumed.import_state(&state)?;
    let options = ListOptions {
        cursor: Some(cursor),
        ..ListOptions::default()
    };
    resumed.start_list("Companies", &options)?;
    host.pages.clear();
    host.run(&mut resumed)?;
    let numbers: Vec<u32> = host.pages.iter().map(|(number, _)| *number).collect();
    println!("Pages delivered after resuming: {numbers:?} (pages 1 and 2 were not fetched again)");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The fake Autotask: zone discovery on webservices.autotask.net and the API of zone 15,
// answering like VENDORS.md §3 says.

const DISCOVERY: &str = "https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation";
const ZONE: &str = "https://webservices15.autotask.net/ATServicesRest/V1.0/";

struct FakeAutotask {
    companies: Vec<Value>,
}

impl FakeAutotask {
    fn new() -> Self {
        let kinds = ["Customer", "Prospect", "Vendor"];
        let companies = (1..=1200)
            .map(|n| {
                json!({"id": 29_680_000 + n, "companyName": format!("Client Company {n:04}"),
                       "companyType": kinds[n % 3], "isActive": n % 17 != 0, "city": "Raleigh", "phone": "919-555-0100"})
            })
            .collect();
        FakeAutotask { companies }
    }
}

impl Server for FakeAutotask {
    /// Status and body for a request, matched on method and URL.
    fn answer(&mut self, request: &Request, _now_ms: u64) -> (u16, String) {
        let Ok(url) = Url::parse(&request.url) else {
            return (400, String::new());
        };
        let path = url.path();
        let method = request.method.as_str();
        let base = format!("{}{}", url.origin().ascii_serialization(), path);

        // Zone discovery needs no credentials, only the user name.
        if method == "GET" && base == DISCOVERY {
            let user = url
                .query_pairs()
                .find(|(k, _)| k == "user")
                .map(|(_, v)| v.into_owned());
            if user.as_deref() != Some(USERNAME) {
                return errors(500, "Zone information could not be determined");
            }
            let zone = json!({"zoneName": "America West 2", "url": "https://webservices15.autotask.net/ATServicesRest/",
                              "webUrl": "https://ww15.autotask.net/", "ci": 123});
            return (200, zone.to_string());
        }
        let credentials_ok = request.header("UserName") == Some(USERNAME)
            && request.header("Secret") == Some(SECRET)
            && request.header("ApiIntegrationCode") == Some(INTEGRATION_CODE);
        if !credentials_ok {
            return errors(401, "Authentication failed");
        }
        let Some(endpoint) = base.strip_prefix(ZONE) else {
            return errors(404, "Not found");
        };
        if method != "POST" {
            return (
                405,
                json!({"Message": "The requested resource does not support http method 'GET'."})
                    .to_string(),
            );
        }
        let Ok(query) = serde_json::from_str::<Value>(request.body.as_deref().unwrap_or_default())
        else {
            return errors(500, "Unable to read the query body");
        };
        let matching: Vec<&Value> = self
            .companies
            .iter()
            .filter(|c| matches_filter(c, &query["filter"]))
            .collect();
        match endpoint {
            "Companies/query/count" => (200, json!({"queryCount": matching.len()}).to_string()),
            "Companies/query" | "Companies/query/next" => {
                // A next-page link says where the next page starts; the body repeats the query.
                let start_id = url
                    .query_pairs()
                    .find(|(k, _)| k == "paging")
                    .and_then(|(_, paging)| serde_json::from_str::<Value>(&paging).ok())
                    .and_then(|paging| paging["nextIds"][0].as_i64())
                    .unwrap_or(i64::MIN);
                let size = query["maxRecords"].as_u64().unwrap_or(500).min(500) as usize;
                let rest: Vec<&Value> = matching
                    .into_iter()
                    .filter(|c| c["id"].as_i64() >= Some(start_id))
                    .collect();
                let page = &rest[..size.min(rest.len())];
                let next_page_url = rest
                    .get(size)
                    .map(|next| next_page_url(&query, size, page, next));
                let body = json!({"items": page, "pageDetails": {"count": page.len(), "requestCount": size,
                                                                 "prevPageUrl": null, "nextPageUrl": next_page_url}});
                (200, body.to_string())
            }
            _ => errors(404, "Not found"),
        }
    }
}

/// A link shaped like Autotask's: `.../Companies/query/next?paging={...}&search={...}`.
fn next_page_url(query: &Value, size: usize, page: &[&Value], next: &Value) -> String {
    let paging = json!({"pageSize": size, "previousIds": [page[0]["id"]], "nextIds": [next["id"]]});
    let mut url = Url::parse(ZONE)
        .and_then(|zone| zone.join("Companies/query/next"))
        .expect("a fixed URL");
    url.query_pairs_mut()
        .append_pair("paging", &paging.to_string())
        .append_pair("search", &query.to_string());
    url.into()
}

/// Applies the filter items this fake understands: `gte`, `gt` and `eq` on one field.
fn matches_filter(company: &Value, filter: &Value) -> bool {
    filter.as_array().into_iter().flatten().all(|item| {
        let field = &company[item["field"].as_str().unwrap_or_default()];
        let (have, want) = (field.as_i64(), item["value"].as_i64());
        match item["op"].as_str() {
            Some("gte") => have >= want,
            Some("gt") => have > want,
            Some("eq") => field == &item["value"],
            _ => true,
        }
    })
}

fn errors(status: u16, message: &str) -> (u16, String) {
    (status, json!({"errors": [message]}).to_string())
}
