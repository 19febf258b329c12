//! The VSA 9 Data Warehouse (OData v4) over HTTP: Basic with the Data Warehouse token,
//! server-driven pages, `Prefer: odata.maxpagesize`, `@odata.nextLink`, `$count`, `$select`.

mod common;

use std::collections::HashSet;

use common::{basic, enc, small, Config, Sim};
use serde_json::Value;

fn warehouse(page_size: usize, agents: usize) -> Sim {
    Sim::start(Config {
        warehouse_page_size: page_size,
        ..small(&[("vsa9.agents", agents)])
    })
}

/// Follows @odata.nextLink from `path`; returns every page's body.
fn read_all(sim: &Sim, path: &str, prefer: Option<&str>) -> Vec<Value> {
    let prefer: Vec<(&str, &str)> = prefer.map(|p| ("Prefer", p)).into_iter().collect();
    let mut pages = Vec::new();
    let mut next = path.to_string();
    loop {
        let resp = sim.warehouse(&next, &prefer);
        assert_eq!(resp.status, 200, "{next}: {}", resp.text());
        let body = resp.json();
        let link = body["@odata.nextLink"].as_str().map(str::to_string);
        pages.push(body);
        match link {
            Some(link) => {
                assert!(link.starts_with(&sim.origin()), "{link}");
                next = link;
            }
            None => return pages,
        }
        assert!(pages.len() < 100, "the links never end");
    }
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .map(|a| a["AgentId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn server_driven_pages_follow_next_link_and_read_every_agent_once() {
    let sim = warehouse(8, 20);
    let pages = read_all(&sim, "/api/odata/1.0/Agents", None);
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [8, 8, 4]);
    assert!(pages[0]["@odata.context"]
        .as_str()
        .is_some_and(|c| c.ends_with("$metadata#Agents")));
    let all = ids(&pages);
    assert_eq!(all.len(), 20);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 20);
    let agent = &pages[0]["value"][0];
    for field in [
        "AgentId",
        "AgentName",
        "MachineGroup",
        "OrgId",
        "OperatingSystem",
    ] {
        assert!(agent.get(field).is_some(), "{field}");
    }

    // The default page size (1,000) takes everything at once.
    let one = warehouse(1000, 20);
    let pages = read_all(&one, "/api/odata/1.0/Agents", None);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].get("@odata.nextLink").is_none());
    assert_eq!(ids(&pages), all, "the same seed gives the same agents");
}

#[test]
fn prefer_maxpagesize_lowers_the_page_and_is_acknowledged() {
    let sim = warehouse(8, 20);
    let auth = sim.warehouse_basic();
    let resp = sim.get(
        "/api/odata/1.0/Agents",
        &[
            ("Authorization", auth.as_str()),
            ("Prefer", "odata.maxpagesize=5"),
        ],
    );
    assert_eq!(
        resp.header("preference-applied"),
        Some("odata.maxpagesize=5")
    );
    assert_eq!(resp.json()["value"].as_array().unwrap().len(), 5);
    let plain = sim.get("/api/odata/1.0/Agents", &[("Authorization", auth.as_str())]);
    assert_eq!(plain.header("preference-applied"), None);

    let pages = read_all(&sim, "/api/odata/1.0/Agents", Some("odata.maxpagesize=5"));
    assert_eq!(pages.len(), 4);
    let all = ids(&pages);
    assert_eq!(all.len(), 20);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 20);

    // A larger preference cannot raise the server's page size.
    let bigger = sim.get(
        "/api/odata/1.0/Agents",
        &[
            ("Authorization", auth.as_str()),
            ("Prefer", "odata.maxpagesize=50"),
        ],
    );
    assert_eq!(bigger.json()["value"].as_array().unwrap().len(), 8);
}

#[test]
fn count_select_filter_and_top_shape_the_result() {
    let sim = warehouse(6, 20);
    let pages = read_all(
        &sim,
        "/api/odata/1.0/Agents?$count=true&$select=AgentId,AgentName",
        None,
    );
    assert_eq!(pages.len(), 4);
    for page in &pages {
        assert_eq!(page["@odata.count"], 20, "every page carries the count");
        for agent in page["value"].as_array().unwrap() {
            let keys: Vec<&String> = agent.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 2, "{agent}");
            assert!(agent.get("AgentId").is_some() && agent.get("AgentName").is_some());
        }
    }
    assert_eq!(ids(&pages).iter().collect::<HashSet<_>>().len(), 20);

    let all = ids(&read_all(&sim, "/api/odata/1.0/Agents", None));
    let everything = read_all(&sim, "/api/odata/1.0/Agents", None);
    let org = everything[0]["value"][0]["OrgId"].clone();
    let expected: Vec<String> = everything
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .filter(|a| a["OrgId"] == org)
        .map(|a| a["AgentId"].as_str().unwrap().to_string())
        .collect();
    let filtered = read_all(
        &sim,
        &format!(
            "/api/odata/1.0/Agents?$count=true&$filter={}",
            enc(&format!("OrgId eq {org}"))
        ),
        None,
    );
    assert_eq!(filtered[0]["@odata.count"], expected.len());
    assert_eq!(ids(&filtered), expected);

    // $skip/$top shape the whole result; the links page inside it.
    let window = read_all(
        &sim,
        "/api/odata/1.0/Agents?$skip=3&$top=10&$count=true",
        None,
    );
    assert_eq!(window[0]["@odata.count"], 10);
    assert_eq!(ids(&window), all[3..13].to_vec());

    let auth = sim.warehouse_basic();
    let bad = sim.get(
        &format!("/api/odata/1.0/Agents?$select={}", enc("Agent Name")),
        &[("Authorization", auth.as_str())],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]["message"].as_str().is_some());
}

#[test]
fn wrong_token_is_401_and_a_rest_only_user_is_403() {
    let sim = warehouse(8, 20);
    let user = sim.cred("vsa9", "username");
    for wrong in [
        basic(user, "wrong-token"),
        basic("someone.else", sim.cred("vsa9", "warehouse_token")),
        "Bearer x".to_string(),
    ] {
        let resp = sim.get(
            "/api/odata/1.0/Agents",
            &[("Authorization", wrong.as_str())],
        );
        assert_eq!(resp.status, 401, "{wrong}");
        assert!(resp.json()["error"]["message"].as_str().is_some());
    }
    let limited = &sim.run.sim.credentials.vsa9.limited;
    let auth = basic(&limited.username, &limited.token);
    let resp = sim.get("/api/odata/1.0/Agents", &[("Authorization", auth.as_str())]);
    assert_eq!(resp.status, 403);
    assert!(resp.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Data Warehouse"));

    let auth = sim.warehouse_basic();
    let groups = sim.get(
        "/api/odata/1.0/MachineGroups",
        &[("Authorization", auth.as_str())],
    );
    assert_eq!(groups.status, 200);
    assert_eq!(
        groups.json()["value"].as_array().unwrap().len(),
        8,
        "10 groups, pages of 8"
    );
    let missing = sim.get(
        "/api/odata/1.0/Nothing",
        &[("Authorization", auth.as_str())],
    );
    assert_eq!(missing.status, 404);
}
