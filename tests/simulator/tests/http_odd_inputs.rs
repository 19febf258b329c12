//! Odd and hostile inputs: every one gets an HTTP answer (no handler panic, no dropped
//! connection), and a client error is a 4xx (or Autotask's 500 for client mistakes).

mod common;

use common::{basic, enc, Sim};
use serde_json::json;

#[test]
fn odd_query_parameters_get_answers_not_dropped_connections() {
    let sim = Sim::small();
    let huge = "18446744073709551615";
    for (path, expected) in [
        ("devices?$top=99999999999999999999999".to_string(), 400),
        (format!("devices?$skip={huge}"), 200),
        (format!("devices?$skiptoken={huge}"), 200),
        (format!("devices?$top={huge}&$skiptoken={huge}"), 200),
        ("devices?$skiptoken=abc".to_string(), 400),
        (format!("devices?$filter={}", enc("contains(")), 400),
        (
            format!("devices?$filter={}", enc("Name eq 'unterminated")),
            400,
        ),
        (format!("devices?$filter={}", enc(&"(".repeat(5000))), 400),
        (format!("devices?$orderby={}", enc(",,,")), 400),
        (format!("devices?$orderby={}", enc("Name sideways")), 400),
        ("devices/%FF%FE".to_string(), 404),
        ("devices/..%2F..%2Fetc".to_string(), 404),
        ("organizations/-1".to_string(), 404),
        (format!("organizations/{huge}{huge}"), 404),
    ] {
        let resp = sim.vsax(&path);
        assert_eq!(resp.status, expected, "{path}: {}", resp.text());
        resp.json();
    }
    let empty = sim.vsax(&format!("devices?$skip={huge}")).json();
    assert_eq!(empty["Data"], json!([]));
}

#[test]
fn odd_vsa9_and_warehouse_inputs_get_answers() {
    let sim = Sim::small();
    let huge = "18446744073709551615";
    for payload in [
        "user=",
        "user=sim.admin,rand2=",
        "user=sim.admin,pass2=,pass1=,rpass2=,rpass1=,rand2=1",
        ":",
        "",
    ] {
        let auth = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, payload)
        );
        let resp = sim.get("/api/v1.0/auth", &[("Authorization", auth.as_str())]);
        assert_eq!(resp.status, 401, "{payload:?}");
    }
    let token = sim.vsa9_session();
    for path in [
        format!("assetmgmt/agents?$skip={huge}&$top={huge}"),
        format!(
            "system/orgs?$filter={}",
            enc("OrgId eq 99999999999999999999999")
        ),
        format!("system/orgs?$filter={}", enc("OrgId eq -2147483649")),
    ] {
        let resp = sim.vsa9(&token, &path);
        assert!(
            resp.status == 200 || resp.status == 400,
            "{path}: {}",
            resp.status
        );
        resp.json();
    }
    let auth = sim.warehouse_basic();
    for (path, prefer) in [
        (
            format!("/api/odata/1.0/Agents?$skip={huge}&$top={huge}&$skiptoken={huge}"),
            "odata.maxpagesize=5",
        ),
        (
            "/api/odata/1.0/Agents".to_string(),
            "odata.maxpagesize=18446744073709551615",
        ),
        ("/api/odata/1.0/Agents".to_string(), "odata.maxpagesize=-3"),
        (
            format!("/api/odata/1.0/Agents?$select={}", enc(",")),
            "odata.maxpagesize=0",
        ),
    ] {
        let resp = sim.get(
            &path,
            &[("Authorization", auth.as_str()), ("Prefer", prefer)],
        );
        assert!(
            resp.status == 200 || resp.status == 400,
            "{path} {prefer}: {}",
            resp.status
        );
        resp.json();
    }
    let wrong = basic("", "");
    assert_eq!(
        sim.get(
            "/api/odata/1.0/Agents",
            &[("Authorization", wrong.as_str())]
        )
        .status,
        401
    );
}

#[test]
fn odd_autotask_queries_and_links_get_answers() {
    let sim = Sim::small();
    for body in [
        json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": -5}),
        json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 9_223_372_036_854_775_807_i64}),
        json!({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 1e30}),
        json!({"filter": [{"op": "gte", "field": "id", "value": 1e300}]}),
        json!({"filter": [{"op": "in", "field": "id", "value": []}]}),
        json!({"filter": [{"op": "and", "items": []}]}),
        json!({"filter": [{"op": "eq", "field": "userDefinedFields", "value": "x", "udf": true}]}),
        json!({"filter": "gte"}),
        json!(null),
        json!("text"),
    ] {
        let resp = sim.autotask("POST", "Companies/query", Some(&body));
        assert!(
            resp.status == 200 || resp.status == 500,
            "{body}: {}",
            resp.status
        );
        let answer = resp.json();
        if resp.status == 500 {
            assert!(answer["errors"][0].is_string(), "{answer}");
        }
    }
    let everything = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
    for paging in [
        r#"{"nextIds":[9223372036854775807]}"#,
        r#"{"nextIds":[-9223372036854775808]}"#,
        r#"{"nextIds":[]}"#,
        r#"not json"#,
        r#"{"nextIds":"x"}"#,
    ] {
        let path = format!("Companies/query/next?paging={}", enc(paging));
        let resp = sim.autotask("POST", &path, Some(&everything));
        assert!(
            resp.status == 200 || resp.status == 500,
            "{paging}: {}",
            resp.status
        );
        resp.json();
    }
    let missing = sim.autotask("POST", "Companies/query/next", Some(&everything));
    assert_eq!(missing.status, 500);
    let garbage = sim.autotask(
        "GET",
        &format!("Companies/query?search={}", enc("{\"filter\":")),
        None,
    );
    assert_eq!(garbage.status, 500);
    assert_eq!(sim.autotask("DELETE", "Companies/query", None).status, 405);
    assert_eq!(sim.autotask("GET", "Companies/abc", None).status, 404);
    assert_eq!(
        sim.autotask("GET", "Companies/999999", None).json(),
        json!({"item": null})
    );
}
