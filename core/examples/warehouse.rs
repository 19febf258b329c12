//! The Kaseya VSA 9 Data Warehouse API (OData v4) with mspkit-core, against a fake server
//! in this file.
//!
//! Shows:
//! - Basic auth with a token that has the "Data Warehouse API" scope (no session);
//! - a connection test (`Agents?$top=1`: the warehouse has no organisation count);
//! - server-driven paging: the client asks for 200 records per page (sent as the header
//!   `Prefer: odata.maxpagesize=200`, because `$top` would cap the whole result), selects
//!   three fields, and follows each `@odata.nextLink` until a page comes without one.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p mspkit-core --example warehouse
//! ```

mod common;

use base64::Engine as _;
use common::{Host, Server, Show};
use mspkit_core::{Client, ClientOptions, ListOptions, Request};
use serde_json::{json, Map, Value};
use url::Url;

const USERNAME: &str = "reporting";
const DW_TOKEN: &str = "9b2e61c4-5d7a-4f0e-8c3b-1a2d3e4f5a6b";

fn main() -> Result<(), mspkit_core::Error> {
    let show = Show {
        noun: "agents",
        name_field: "ComputerName",
        detail_field: Some("OperatingSystem"),
        ..Show::default()
    };
    let mut host = Host::new(FakeWarehouse::new(USERNAME, DW_TOKEN), show);
    // The same server address as for the REST API; the client picks /api/odata/1.0/.
    let mut client = Client::vsa9_warehouse(
        "https://vsa.example.com/",
        USERNAME,
        DW_TOKEN,
        ClientOptions::default(),
    )?;
    println!("API base: {}", client.base_url().unwrap_or_default());

    println!("\n== Connection test");
    client.start_test_connection();
    host.run(&mut client)?;

    println!("\n== Listing Agents, 200 per page, three fields");
    let options = ListOptions {
        page_size: Some(200),
        fields: Some(vec![
            "AgentId".into(),
            "ComputerName".into(),
            "OperatingSystem".into(),
        ]),
        ..ListOptions::default()
    };
    client.start_list("Agents", &options)?;
    host.run(&mut client)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The fake Data Warehouse: answers like https://vsa.example.com/api/odata/1.0 would
// (VENDORS.md §2, Data Warehouse API).

struct FakeWarehouse {
    expected_authorization: String,
    agents: Vec<Value>,
}

impl FakeWarehouse {
    fn new(username: &str, token: &str) -> Self {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{token}"));
        let agents = (1..=450)
            .map(|n| {
                let os = if n % 5 == 0 { "Windows Server 2022" } else { "Windows 11" };
                json!({"AgentId": format!("{}", 71_000_000_000u64 + n), "ComputerName": format!("PC-{n:04}"),
                       "MachineGroup": "root.acme", "OperatingSystem": os, "LastCheckInTime": "2026-01-01T08:00:00Z"})
            })
            .collect();
        FakeWarehouse {
            expected_authorization: format!("Basic {basic}"),
            agents,
        }
    }
}

impl Server for FakeWarehouse {
    /// Status and body for a request, matched on method and URL.
    fn answer(&mut self, request: &Request, _now_ms: u64) -> (u16, String) {
        if request.header("Authorization") != Some(self.expected_authorization.as_str()) {
            return (401, json!({"error": {"code": "", "message": "Authorization has been denied for this request."}}).to_string());
        }
        let Ok(url) = Url::parse(&request.url) else {
            return (400, String::new());
        };
        if (request.method.as_str(), url.path()) != ("GET", "/api/odata/1.0/Agents") {
            return (
                404,
                json!({"error": {"code": "", "message": "No HTTP resource was found."}})
                    .to_string(),
            );
        }
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        // Server-driven paging: the page size comes from `Prefer: odata.maxpagesize=N`.
        let max_page = request
            .header("Prefer")
            .and_then(|p| p.strip_prefix("odata.maxpagesize="))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1000);
        let top = param("$top").and_then(|t| t.parse::<usize>().ok());
        let skip: usize = param("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let select: Option<Vec<String>> =
            param("$select").map(|s| s.split(',').map(str::to_string).collect());
        let take = top.unwrap_or(usize::MAX).min(max_page);
        let value: Vec<Value> = self
            .agents
            .iter()
            .skip(skip)
            .take(take)
            .map(|agent| match &select {
                Some(fields) => Value::Object(
                    fields
                        .iter()
                        .filter_map(|f| Some((f.clone(), agent.get(f)?.clone())))
                        .collect::<Map<_, _>>(),
                ),
                None => agent.clone(),
            })
            .collect();
        let mut body = json!({"@odata.context": "https://vsa.example.com/api/odata/1.0/$metadata#Agents", "value": value});
        let next = skip + take.min(self.agents.len());
        if top.is_none() && next < self.agents.len() {
            // The server's link repeats the query and adds its own continuation token.
            let mut query: Vec<String> = url
                .query()
                .unwrap_or_default()
                .split('&')
                .filter(|pair| !pair.is_empty() && !pair.starts_with("$skiptoken="))
                .map(str::to_string)
                .collect();
            query.push(format!("$skiptoken={next}"));
            let mut link = url.clone();
            link.set_query(Some(&query.join("&")));
            body["@odata.nextLink"] = json!(link.as_str());
        }
        (200, body.to_string())
    }
}
