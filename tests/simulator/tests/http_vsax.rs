//! Kaseya VSA X over HTTP: token auth, the Data/Meta envelope, OData paging and filters,
//! NextQueryLink above 5,000 results, notifications' two date forms, Notify validation.

mod common;

use std::collections::HashSet;

use common::{basic, enc, small, Sim};
use serde_json::{json, Value};

#[test]
fn basic_auth_accepts_the_token_and_refuses_a_wrong_secret_with_the_envelope() {
    let sim = Sim::small();
    let ok = sim.vsax("organizations");
    assert_eq!(ok.status, 200);
    assert!(ok
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));

    let wrong = basic(sim.cred("vsax", "token_id"), "not-the-secret");
    for auth in [wrong.as_str(), "Basic !!!", "Bearer abc"] {
        let resp = sim.get("/api/v3/organizations", &[("Authorization", auth)]);
        assert_eq!(resp.status, 401, "{auth}");
        let body = resp.json();
        assert_eq!(body["Data"], Value::Null);
        assert_eq!(body["Meta"]["ResponseCode"], 401);
        assert!(body["Meta"]["ErrorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let none = sim.get("/api/v3/devices", &[]);
    assert_eq!(none.status, 401);
}

#[test]
fn a_limited_token_gets_403_request_failed_on_organizations_only() {
    let sim = Sim::small();
    let auth = sim.vsax_limited_basic();
    let orgs = sim.get("/api/v3/organizations", &[("Authorization", auth.as_str())]);
    assert_eq!(orgs.status, 403);
    assert_eq!(
        orgs.json(),
        json!({"Data": null, "Meta": {"ResponseCode": 403, "ErrorMessage": "Request Failed"}})
    );
    let devices = sim.get("/api/v3/devices", &[("Authorization", auth.as_str())]);
    assert_eq!(devices.status, 200);
}

#[test]
fn list_envelope_counts_and_top_is_capped_at_100() {
    let sim = Sim::start(small(&[("vsax.devices", 250)]));
    let body = sim.vsax("devices").json();
    assert_eq!(body["Meta"]["ResponseCode"], 200);
    assert_eq!(body["Meta"]["TotalCount"], 250);
    assert_eq!(
        body["Data"].as_array().unwrap().len(),
        100,
        "default $top is 100"
    );
    assert!(
        body["Meta"].get("NextQueryLink").is_none(),
        "no link below 5,000"
    );
    let device = &body["Data"][0];
    for field in [
        "Identifier",
        "Name",
        "GroupId",
        "GroupName",
        "IsAgentInstalled",
        "IsMdmEnrolled",
        "SiteId",
        "SiteName",
        "OrganizationId",
        "OrganizationName",
        "HasCustomFields",
    ] {
        assert!(device.get(field).is_some(), "device list form has {field}");
    }

    let capped = sim.vsax("devices?$top=1000").json();
    assert_eq!(capped["Data"].as_array().unwrap().len(), 100);
    let few = sim.vsax("devices?$top=7").json();
    assert_eq!(few["Data"].as_array().unwrap().len(), 7);

    for bad in ["$top=0", "$top=abc", "$top=-1", "$skip=x"] {
        let resp = sim.vsax(&format!("devices?{bad}"));
        assert_eq!(resp.status, 400, "{bad}");
        let body = resp.json();
        assert_eq!(body["Data"], Value::Null);
        assert_eq!(body["Meta"]["ResponseCode"], 400);
    }
}

#[test]
fn skip_pages_through_every_record_once() {
    let sim = Sim::start(small(&[("vsax.devices", 250)]));
    let first = sim.vsax("devices?$top=100").json()["Data"].clone();
    let second = sim.vsax("devices?$top=100&$skip=100").json()["Data"].clone();
    let last = sim.vsax("devices?$top=100&$skip=200").json()["Data"].clone();
    assert_eq!(last.as_array().unwrap().len(), 50, "the last page is short");
    let past = sim.vsax("devices?$skip=300").json();
    assert_eq!(past["Data"], json!([]));
    assert_eq!(past["Meta"]["TotalCount"], 250);
    let ids: Vec<&str> = [&first, &second, &last]
        .iter()
        .flat_map(|p| p.as_array().unwrap())
        .map(|d| d["Identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    assert_eq!(
        first[5],
        sim.vsax("devices?$top=1&$skip=5").json()["Data"][0]
    );
}

#[test]
fn filters_give_the_same_set_as_filtering_the_data_ourselves() {
    let sim = Sim::start(small(&[("vsax.devices", 60)]));
    let all = sim.vsax_all("devices");
    assert_eq!(all.len(), 60);

    // eq on a number.
    let group = all[7]["GroupId"].as_i64().unwrap();
    let expected: Vec<&Value> = all
        .iter()
        .filter(|d| d["GroupId"].as_i64() == Some(group))
        .collect();
    let got = sim.vsax_all(&format!(
        "devices?$filter={}",
        enc(&format!("GroupId eq {group}"))
    ));
    assert_eq!(got.iter().collect::<Vec<_>>(), expected);

    // eq on a string.
    let name = all[3]["Name"].as_str().unwrap();
    let got = sim.vsax_all(&format!(
        "devices?$filter={}",
        enc(&format!("Name eq '{}'", name.replace('\'', "''")))
    ));
    assert!(!got.is_empty());
    assert!(got.iter().all(|d| d["Name"] == name));

    // contains(tolower(...)): a lower-cased fragment of a real name.
    let organizations = sim.vsax_all("organizations");
    let org_name = organizations[1]["Name"].as_str().unwrap().to_lowercase();
    let fragment: String = org_name.chars().take(4).collect();
    let expected: Vec<&Value> = organizations
        .iter()
        .filter(|o| {
            o["Name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&fragment)
        })
        .collect();
    let filter = format!(
        "contains(tolower(Name), '{}')",
        fragment.replace('\'', "''")
    );
    let got = sim.vsax_all(&format!("organizations?$filter={}", enc(&filter)));
    assert!(!got.is_empty());
    assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{filter}");

    let device_fragment: String = all[10]["Name"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .chars()
        .take(3)
        .collect();
    let expected: Vec<&Value> = all
        .iter()
        .filter(|d| {
            d["Name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&device_fragment)
        })
        .collect();
    let filter = format!("contains(tolower(Name), '{device_fragment}')");
    let resp = sim
        .vsax(&format!("devices?$filter={}", enc(&filter)))
        .json();
    assert_eq!(resp["Meta"]["TotalCount"], expected.len());
    let got = sim.vsax_all(&format!("devices?$filter={}", enc(&filter)));
    assert_eq!(got.iter().collect::<Vec<_>>(), expected);

    let bad = sim.vsax(&format!("devices?$filter={}", enc("Name eq")));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["Meta"]["ResponseCode"], 400);
}

#[test]
fn orderby_desc_sorts_the_whole_result_before_paging() {
    let sim = Sim::start(small(&[("vsax.devices", 150)]));
    let mut expected = sim.vsax_all("devices");
    expected.sort_by(|a, b| b["Name"].as_str().cmp(&a["Name"].as_str()));
    let got = sim.vsax_all(&format!("devices?$orderby={}", enc("Name desc")));
    let names = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|d| d["Name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&got), names(&expected));

    let orgs = sim.vsax_all(&format!("organizations?$orderby={}", enc("Id desc")));
    let ids: Vec<i64> = orgs.iter().map(|o| o["Id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 5);
}

#[test]
fn next_query_link_above_5000_reads_every_device_once_and_skip_past_5000_is_refused() {
    let sim = Sim::start(small(&[("vsax.devices", 5200)]));
    let first = sim.vsax("devices").json();
    assert_eq!(first["Meta"]["TotalCount"], 5200);
    let mut link = first["Meta"]["NextQueryLink"]
        .as_str()
        .expect("NextQueryLink above 5,000 results")
        .to_string();
    assert!(link.starts_with(&sim.origin()), "same tenant: {link}");
    let mut seen: Vec<String> = first["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Identifier"].as_str().unwrap().to_string())
        .collect();
    let mut pages = 1;
    loop {
        let resp = sim.vsax_url(&link);
        assert_eq!(resp.status, 200, "{link}: {}", resp.text());
        let body = resp.json();
        pages += 1;
        seen.extend(
            body["Data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["Identifier"].as_str().unwrap().to_string()),
        );
        match body["Meta"]["NextQueryLink"].as_str() {
            Some(next) => link = next.to_string(),
            None => break,
        }
        assert!(pages < 100, "the links never end");
    }
    assert_eq!(pages, 52);
    assert_eq!(seen.len(), 5200);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        5200,
        "no repeats"
    );

    let refused = sim.vsax("devices?$skip=5000");
    assert_eq!(refused.status, 400);
    assert!(refused.json()["Meta"]["ErrorMessage"]
        .as_str()
        .unwrap()
        .contains("NextQueryLink"));
    let below = sim.vsax("devices?$skip=4900").json();
    assert_eq!(below["Data"].as_array().unwrap().len(), 100);

    // The link keeps the filter and order.
    let filter = enc("IsAgentInstalled eq true");
    let filtered = sim
        .vsax(&format!("devices?$filter={filter}&$orderby=Name"))
        .json();
    let total = filtered["Meta"]["TotalCount"].as_u64().unwrap();
    if total > 5000 {
        let link = filtered["Meta"]["NextQueryLink"].as_str().unwrap();
        assert!(
            link.contains("$filter=") && link.contains("$orderby="),
            "{link}"
        );
    } else {
        assert!(filtered["Meta"].get("NextQueryLink").is_none());
    }
}

#[test]
fn notifications_are_unix_ints_in_the_list_and_iso_strings_per_device() {
    let sim = Sim::small();
    let list = sim.vsax("notifications").json();
    let first = &list["Data"][0];
    assert!(first["DateTime"].is_i64(), "GET /notifications: {first}");
    for field in ["Id", "Message", "Priority"] {
        assert!(first.get(field).is_some(), "{field}");
    }

    // A device that has notifications, from the simulator's own data.
    let data = sim.run.sim.data();
    let index = data.vsax.notification_device[0];
    let id = data.vsax.devices[index]["Identifier"]
        .as_str()
        .unwrap()
        .to_string();
    let own = sim.vsax(&format!("devices/{id}/notifications")).json();
    let items = own["Data"].as_array().unwrap();
    let expected = data
        .vsax
        .notification_device
        .iter()
        .filter(|d| **d == index)
        .count();
    assert_eq!(items.len(), expected);
    assert_eq!(own["Meta"]["TotalCount"], expected);
    for n in items {
        let text = n["DateTime"].as_str().expect("an ISO string per device");
        assert_eq!(text.len(), 20, "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[10] == b'T', "{text}");
    }
    // The same notification in both forms has the same instant.
    let same = list["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["Id"] == items[0]["Id"])
        .expect("the small list holds every notification");
    {
        let secs = same["DateTime"].as_i64().unwrap();
        let iso = items[0]["DateTime"].as_str().unwrap();
        let day = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        assert_eq!(
            &iso[11..19],
            format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
        );
        assert!(day > 18_000, "a recent date");
    }

    let missing = sim.vsax("devices/00000000-0000-0000-0000-000000000000/notifications");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"Data": null, "Meta": {"ResponseCode": 404, "ErrorMessage": "Entity is not found."}})
    );
}

#[test]
fn single_items_and_device_detail() {
    let sim = Sim::small();
    let orgs = sim.vsax("organizations").json();
    let id = orgs["Data"][0]["Id"].as_i64().unwrap();
    let one = sim.vsax(&format!("organizations/{id}")).json();
    assert_eq!(one["Meta"], json!({"ResponseCode": 200}));
    assert_eq!(one["Data"], orgs["Data"][0]);
    for field in [
        "Id",
        "Name",
        "HasCustomFields",
        "PsaMappingId",
        "PsaMappingType",
    ] {
        assert!(one["Data"].get(field).is_some(), "{field}");
    }
    let device = sim.vsax("devices?$top=1").json()["Data"][0].clone();
    let id = device["Identifier"].as_str().unwrap();
    let detail = sim.vsax(&format!("devices/{id}")).json()["Data"].clone();
    for field in [
        "Description",
        "Uptime",
        "IsOnline",
        "ComputerType",
        "InMaintenance",
        "ExternalIpAddress",
        "CriticalNotifications",
        "LocalIpAddresses",
        "ClientVersion",
    ] {
        assert!(detail.get(field).is_some(), "detail adds {field}");
    }
    assert_eq!(detail["Name"], device["Name"]);
    assert_eq!(sim.vsax("organizations/999999999").status, 404);
    assert_eq!(sim.vsax("nonsense").status, 404);
}

#[test]
fn notify_validates_its_body() {
    let sim = Sim::small();
    let auth = sim.vsax_basic();
    let headers = [("Authorization", auth.as_str())];
    let ok = sim.post_json(
        "/api/v3/notifications",
        &headers,
        &json!({"InstanceId": "abc", "Title": "Disk full", "Message": "C: 98%", "Priority": "elevated"}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json(), json!({"Meta": {"ResponseCode": 200}}));
    for bad in [
        json!({"InstanceId": "abc"}),
        json!({"Title": "x"}),
        json!({"InstanceId": " ", "Title": "x"}),
        json!([1, 2]),
    ] {
        let resp = sim.post_json("/api/v3/notifications", &headers, &bad);
        assert_eq!(resp.status, 400, "{bad}");
        assert_eq!(resp.json()["Meta"]["ResponseCode"], 400);
    }
    let garbage = sim.send(
        "POST",
        "/api/v3/notifications",
        &headers,
        Some(b"{not json"),
    );
    assert_eq!(garbage.status, 400);
}
