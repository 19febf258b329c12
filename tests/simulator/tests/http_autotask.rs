//! Autotask PSA over HTTP: zone discovery, header auth and its 500s, POST and GET queries,
//! counts, nextPageUrl paging (405 for a GET on a POST query's link), the 500 cap, long
//! GET URLs, ThresholdInformation, the thread limit and the hourly threshold.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{concurrently, config, enc, small, Config, Resp, Sim};
use serde_json::{json, Value};

fn everything() -> Value {
    json!({"filter": [{"op": "gte", "field": "id", "value": 0}]})
}

/// `POST {entity}/query` for every record, as the full API user.
fn query_all(sim: &Sim, entity: &str) -> Resp {
    sim.autotask("POST", &format!("{entity}/query"), Some(&everything()))
}

/// Every item of a query, following nextPageUrl with POST and the same body.
fn read_all(sim: &Sim, entity: &str, body: &Value) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut resp = sim.autotask("POST", &format!("{entity}/query"), Some(body));
    let mut pages = 0;
    loop {
        assert_eq!(resp.status, 200, "{}", resp.text());
        let page = resp.json();
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["pageDetails"]["nextPageUrl"].as_str() {
            Some(link) => {
                assert!(link.starts_with(&sim.origin()), "{link}");
                resp = sim.autotask("POST", link, Some(body));
            }
            None => return (items, pages),
        }
        assert!(pages < 100, "the links never end");
    }
}

#[test]
fn zone_information_for_known_and_unknown_users() {
    let sim = Sim::small();
    let url = sim.cred("autotask", "zone_discovery_url");
    let user = sim.cred("autotask", "username");
    let zone = sim.get(&format!("{url}?user={}", enc(user)), &[]);
    assert_eq!(zone.status, 200);
    let body = zone.json();
    let zone_url = body["url"].as_str().unwrap();
    assert!(zone_url.ends_with("/ATServicesRest/"), "{zone_url}");
    assert_eq!(zone_url, format!("{}/ATServicesRest/", sim.origin()));
    assert!(body["zoneName"].is_string() && body["webUrl"].is_string() && body["ci"].is_i64());
    // V1.0/ appended to the url is where the API lives.
    let through_zone = sim.autotask("GET", &format!("{zone_url}V1.0/ThresholdInformation"), None);
    assert_eq!(through_zone.status, 200);

    let unknown = sim.get(&format!("{url}?user=nobody%40example.com"), &[]);
    assert_eq!(unknown.status, 500);
    assert_eq!(
        unknown.json(),
        json!({"errors": ["Zone information could not be determined"]})
    );
    assert_eq!(sim.get(url, &[]).status, 500, "no user at all");

    let v2 = url.replace("/V1.0/", "/V2.0/");
    assert_eq!(
        sim.get(&format!("{v2}?user={}", enc(user)), &[]).status,
        404
    );
}

#[test]
fn header_auth_errors_use_the_vendors_statuses() {
    let sim = Sim::small();
    let (user, secret, code) = sim.autotask_creds();
    let limited = &sim.run.sim.credentials.autotask.limited;
    let limited = (limited.username.as_str(), limited.secret.as_str(), code);
    let denied = "The logged in Resource does not have the adequate permissions to query the \
                  Companies entity.";
    // (what is wrong, the headers, the entity, the status, the one error for a 500)
    for (why, creds, entity, status, error) in [
        ("nothing", (user, secret, code), "Companies", 200, ""),
        (
            "wrong secret with a valid user",
            (user, "nope", code),
            "Companies",
            401,
            "",
        ),
        (
            "unknown user",
            ("nobody@example.com", secret, code),
            "Companies",
            401,
            "",
        ),
        (
            "bad integration code",
            (user, secret, "XYZ"),
            "Companies",
            500,
            "IntegrationCode is invalid.",
        ),
        (
            "limited user on Companies",
            limited,
            "Companies",
            500,
            denied,
        ),
        ("limited user on Contacts", limited, "Contacts", 200, ""),
    ] {
        let path = format!("{entity}/query");
        let resp = sim.autotask_as(creds, "POST", &path, Some(&everything()));
        assert_eq!(resp.status, status, "{why}");
        if status == 500 {
            assert_eq!(resp.json(), json!({"errors": [error]}), "{why}");
        }
    }
}

#[test]
fn post_query_filters_and_projects_like_our_own_filtering() {
    let sim = Sim::small();
    let (all, _) = read_all(&sim, "Companies", &everything());
    assert_eq!(all.len(), 30);
    let ids: Vec<i64> = all.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "results come sorted by id");

    let expected: Vec<Value> = all
        .iter()
        .filter(|c| c["isActive"] == json!(true))
        .map(|c| json!({"id": c["id"], "companyName": c["companyName"]}))
        .collect();
    assert!(!expected.is_empty() && expected.len() < 30);
    let query = json!({
        "filter": [{"op": "eq", "field": "isActive", "value": true}],
        "IncludeFields": ["id", "companyName"],
    });
    let resp = sim.autotask("POST", "Companies/query", Some(&query)).json();
    assert_eq!(resp["items"].as_array().unwrap(), &expected);
    assert_eq!(resp["pageDetails"]["count"], expected.len());
    assert_eq!(resp["pageDetails"]["nextPageUrl"], Value::Null);
    assert_eq!(resp["pageDetails"]["prevPageUrl"], Value::Null);

    // A name fragment, case-insensitively, inside an or group.
    let name = all[4]["companyName"].as_str().unwrap();
    let fragment: String = name.chars().take(4).collect::<String>().to_uppercase();
    let expected: Vec<&Value> = all
        .iter()
        .filter(|c| {
            let n = c["companyName"].as_str().unwrap().to_lowercase();
            n.contains(&fragment.to_lowercase()) || c["id"] == all[0]["id"]
        })
        .collect();
    let query = json!({"filter": [{"op": "or", "items": [
        {"op": "contains", "field": "companyname", "value": fragment},
        {"op": "eq", "field": "id", "value": all[0]["id"]},
    ]}]});
    let resp = sim.autotask("POST", "Companies/query", Some(&query)).json();
    assert_eq!(
        resp["items"].as_array().unwrap().iter().collect::<Vec<_>>(),
        expected
    );

    let count = sim.autotask("POST", "Companies/query/count", Some(&query));
    assert_eq!(count.json(), json!({"queryCount": expected.len()}));
    let count = sim.autotask(
        "GET",
        &format!("Companies/query/count?search={}", enc(&query.to_string())),
        None,
    );
    assert_eq!(count.json(), json!({"queryCount": expected.len()}));

    for (bad, needle) in [
        (json!({"filter": []}), ""),
        (json!({}), ""),
        (
            json!({"filter": [{"op": "eq", "field": "isActive", "value": null}]}),
            "null",
        ),
    ] {
        let resp = sim.autotask("POST", "Companies/query", Some(&bad));
        assert_eq!(resp.status, 500, "{bad}");
        let message = resp.json()["errors"][0].as_str().unwrap().to_string();
        assert!(message.contains(needle), "{message}");
    }

    let id = all[2]["id"].as_i64().unwrap();
    let one = sim.autotask("GET", &format!("Companies/{id}"), None).json();
    assert_eq!(one["item"], all[2]);
}

#[test]
fn get_query_with_search_matches_post() {
    let sim = Sim::small();
    let query = json!({"filter": [{"op": "lt", "field": "id", "value": 0}]});
    let none = sim.autotask(
        "GET",
        &format!("Companies/query?search={}", enc(&query.to_string())),
        None,
    );
    assert_eq!(none.status, 200);
    assert_eq!(none.json()["items"], json!([]));

    let post = sim
        .autotask("POST", "Contacts/query", Some(&everything()))
        .json();
    let get = sim
        .autotask(
            "GET",
            &format!("Contacts/query?search={}", enc(&everything().to_string())),
            None,
        )
        .json();
    assert_eq!(post["items"], get["items"]);
    assert_eq!(get["items"].as_array().unwrap().len(), 60);
    let missing = sim.autotask("GET", "Contacts/query", None);
    assert_eq!(missing.status, 500);
}

#[test]
fn next_page_url_read_with_post_gives_every_company_once_and_get_on_it_is_405() {
    let sim = Sim::small();
    let body = json!({
        "filter": [{"op": "gte", "field": "id", "value": 0}],
        "includeFields": ["id", "companyName"],
        "maxRecords": 7,
    });
    let first = sim.autotask("POST", "Companies/query", Some(&body)).json();
    assert_eq!(first["pageDetails"]["count"], 7);
    assert_eq!(first["pageDetails"]["requestCount"], 7);
    let link = first["pageDetails"]["nextPageUrl"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        link.starts_with(&format!(
            "{}/ATServicesRest/V1.0/Companies/query/next?paging=",
            sim.origin()
        )),
        "{link}"
    );
    assert!(link.contains("&search="), "{link}");

    let (items, pages) = read_all(&sim, "Companies", &body);
    assert_eq!(pages, 5, "30 companies in pages of 7");
    assert_eq!(items.len(), 30);
    let ids: HashSet<i64> = items.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 30, "every company exactly once");

    let refused = sim.autotask("GET", &link, None);
    assert_eq!(refused.status, 405);
    let body = refused.json();
    assert!(
        body["Message"].as_str().is_some_and(|m| m.contains("GET")),
        "{body}"
    );
    assert!(body.get("errors").is_none());

    // A GET query's link is followed with GET.
    let get_query = json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 25});
    let page = sim
        .autotask(
            "GET",
            &format!("Companies/query?search={}", enc(&get_query.to_string())),
            None,
        )
        .json();
    let link = page["pageDetails"]["nextPageUrl"].as_str().unwrap();
    let rest = sim.autotask("GET", link, None);
    assert_eq!(rest.status, 200);
    assert_eq!(rest.json()["items"].as_array().unwrap().len(), 5);
}

#[test]
fn max_records_is_capped_at_500() {
    let sim = Sim::start(small(&[("autotask.companies", 620)]));
    let body = json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 1000});
    let page = sim.autotask("POST", "Companies/query", Some(&body)).json();
    assert_eq!(page["items"].as_array().unwrap().len(), 500);
    assert_eq!(page["pageDetails"]["requestCount"], 500);
    assert!(page["pageDetails"]["nextPageUrl"].is_string());
    let (items, pages) = read_all(&sim, "Companies", &everything());
    assert_eq!((items.len(), pages), (620, 2));

    // Over 500 results without id among includeFields is refused.
    let no_id = json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "includeFields": ["companyName"]});
    let resp = sim.autotask("POST", "Companies/query", Some(&no_id));
    assert_eq!(resp.status, 500);
}

#[test]
fn a_get_url_longer_than_2048_characters_is_404() {
    let sim = Sim::small();
    let values: Vec<i64> = (0..400).collect();
    let query = json!({"filter": [{"op": "in", "field": "id", "value": values}]});
    let path = format!("Companies/query?search={}", enc(&query.to_string()));
    assert!(sim.origin().len() + path.len() > 2100);
    let long = sim.autotask("GET", &path, None);
    assert_eq!(long.status, 404);
    assert!(long.json()["Message"].is_string());
    let post = sim.autotask("POST", "Companies/query", Some(&query));
    assert_eq!(post.status, 200, "the same query as POST works");
}

#[test]
fn threshold_information_counts_requests() {
    let sim = Sim::start(config(&[], &[("autotask.hourly", "250/1h")], &[]));
    for _ in 0..3 {
        assert_eq!(query_all(&sim, "Companies").status, 200);
    }
    // Refused requests (401) and zone discovery do not count.
    let (user, _, code) = sim.autotask_creds();
    let refused = sim.autotask_as(
        (user, "x", code),
        "POST",
        "Companies/query",
        Some(&everything()),
    );
    assert_eq!(refused.status, 401);
    let resp = sim.autotask("GET", "ThresholdInformation", None);
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({
            "externalRequestThreshold": 250,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": 4,
        })
    );
    let default = Sim::small();
    let reading = default.autotask("GET", "ThresholdInformation", None).json();
    assert_eq!(reading["externalRequestThreshold"], 10_000);
    assert_eq!(reading["currentTimeframeRequestCount"], 1);
}

#[test]
fn a_fourth_concurrent_request_on_one_entity_gets_the_thread_threshold_429() {
    let slow = r#"{"vendor":"autotask","path":"Companies","kind":"slow","delay_ms":300}"#;
    let sim = Sim::start(config(&[], &[], &[slow]));
    let results = concurrently(5, |i| {
        if i < 4 {
            query_all(&sim, "Companies")
        } else {
            // Another entity, started at the same time, is unaffected.
            std::thread::sleep(Duration::from_millis(50));
            query_all(&sim, "Contacts")
        }
    });
    let statuses: Vec<u16> = results[..4].iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    let refused: Vec<_> = results[..4].iter().filter(|r| r.status == 429).collect();
    assert_eq!(refused.len(), 1, "{statuses:?}");
    let message = refused[0].json()["errors"][0].as_str().unwrap().to_string();
    assert!(
        message.contains("thread threshold of 3 threads"),
        "{message}"
    );
    assert_eq!(results[4].status, 200);
    let stats = sim.stats();
    assert_eq!(
        stats["endpoints"]["autotask POST V1.0/Companies/query"]["status_429"],
        1
    );
    assert_eq!(
        stats["endpoints"]["autotask POST V1.0/Companies/query"]["max_in_flight"],
        4
    );

    // Once they are done, the entity takes requests again.
    assert_eq!(query_all(&sim, "Companies").status, 200);
}

#[test]
fn the_hourly_threshold_refuses_past_it_and_slows_down_near_it() {
    // Added latency: +0.5 s past 50%, +1 s past 75%, divided by the time scale.
    let sim = Sim::start(Config {
        time_scale: 5.0,
        ..config(&[], &[("autotask.hourly", "4/1h")], &[])
    });
    let timed = || {
        let started = Instant::now();
        let resp = query_all(&sim, "Companies");
        (resp, started.elapsed())
    };
    let (first, _) = timed();
    assert_eq!(first.status, 200);
    let (second, half) = timed();
    assert_eq!(second.status, 200);
    assert!(half >= Duration::from_millis(100), "{half:?}");
    let (third, most) = timed();
    assert_eq!(third.status, 200);
    assert!(most >= Duration::from_millis(200), "{most:?}");
    assert_eq!(
        sim.autotask("GET", "ThresholdInformation", None).status,
        200
    );
    let past = query_all(&sim, "Companies");
    assert_eq!(past.status, 429);
    let message = past.json()["errors"][0].as_str().unwrap().to_string();
    assert!(message.contains("threshold"), "{message}");
    // The whole tenant is refused, every entity.
    assert_eq!(query_all(&sim, "Tickets").status, 429);
    assert_eq!(sim.stats()["limits"]["autotask.hourly"]["rejected"], 2);

    let sim = Sim::start(Config {
        autotask_latency: false,
        ..config(&[], &[("autotask.hourly", "2/1h")], &[])
    });
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(query_all(&sim, "Companies").status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_millis(450),
        "no latency when off"
    );
    assert_eq!(query_all(&sim, "Companies").status, 429);
}
