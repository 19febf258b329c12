//! Whole-dataset properties: determinism, exact counts, sorted unique ids, foreign keys,
//! the share of names the RMMs and the PSA have in common.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::names::match_key;
use super::{generate, Counts, Dataset, Record};

fn preset(name: &str) -> Counts {
    Counts::preset(name).expect("preset exists")
}

fn json(d: &Dataset) -> String {
    let lists: Vec<&Vec<Record>> = vec![
        &d.vsax.organizations,
        &d.vsax.sites,
        &d.vsax.groups,
        &d.vsax.devices,
        &d.vsax.notifications,
        &d.vsax.assets,
        &d.vsa9.orgs,
        &d.vsa9.machine_groups,
        &d.vsa9.agents,
        &d.vsa9.warehouse_agents,
        &d.vsa9.warehouse_machine_groups,
        &d.autotask.companies,
        &d.autotask.contacts,
        &d.autotask.tickets,
        &d.autotask.configuration_items,
    ];
    format!(
        "{}{:?}",
        serde_json::to_string(&lists).expect("serialisable"),
        d.vsax.notification_device
    )
}

fn int(r: &Record, field: &str) -> i64 {
    r.get(field)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{field} is not an integer in {r:?}"))
}

fn opt_int(r: &Record, field: &str) -> Option<i64> {
    match r.get(field) {
        Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().unwrap_or_else(|| panic!("{field} in {r:?}"))),
        None => panic!("{field} missing in {r:?}"),
    }
}

fn text<'a>(r: &'a Record, field: &str) -> &'a str {
    r.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{field} is not a string in {r:?}"))
}

/// Records by integer id.
fn by_id<'a>(list: &'a [Record], field: &str) -> HashMap<i64, &'a Record> {
    list.iter().map(|r| (int(r, field), r)).collect()
}

fn lengths(d: &Dataset) -> Vec<usize> {
    vec![
        d.vsax.organizations.len(),
        d.vsax.sites.len(),
        d.vsax.groups.len(),
        d.vsax.devices.len(),
        d.vsax.notifications.len(),
        d.vsax.assets.len(),
        d.vsa9.orgs.len(),
        d.vsa9.machine_groups.len(),
        d.vsa9.agents.len(),
        d.autotask.companies.len(),
        d.autotask.contacts.len(),
        d.autotask.tickets.len(),
        d.autotask.configuration_items.len(),
    ]
}

fn expected(c: &Counts) -> Vec<usize> {
    Counts::NAMES
        .iter()
        .map(|n| c.get(n).expect("known name"))
        .collect()
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let c = preset("small");
    assert_eq!(json(&generate(42, &c)), json(&generate(42, &c)));
    assert_ne!(json(&generate(42, &c)), json(&generate(43, &c)));
}

#[test]
fn exact_counts_for_presets_and_overrides() {
    for p in ["small", "realistic"] {
        let c = preset(p);
        let d = generate(1, &c);
        assert_eq!(lengths(&d), expected(&c), "{p}");
        assert_eq!(d.vsax.notification_device.len(), c.vsax_notifications);
        assert_eq!(d.vsa9.warehouse_agents.len(), c.vsa9_agents);
        assert_eq!(d.vsa9.warehouse_machine_groups.len(), c.vsa9_machine_groups);
    }
    let mut c = preset("small");
    c.set("vsax.devices", 77).expect("valid");
    c.set("autotask.companies", 3).expect("valid");
    c.set("autotask.configuration_items", 0).expect("valid");
    c.set("vsa9.machine_groups", 2).expect("valid");
    let d = generate(9, &c);
    assert_eq!(lengths(&d), expected(&c));
}

#[test]
fn large_preset_has_exact_counts() {
    let c = preset("large");
    let d = generate(7, &c);
    assert_eq!(lengths(&d), expected(&c));
}

#[test]
fn children_of_an_empty_list_are_empty() {
    let mut c = preset("small");
    c.set("vsax.groups", 0).expect("valid");
    c.set("autotask.companies", 0).expect("valid");
    let d = generate(1, &c);
    assert!(d.vsax.devices.is_empty() && d.vsax.notifications.is_empty());
    assert!(d.autotask.contacts.is_empty() && d.autotask.tickets.is_empty());
    assert_eq!(d.vsax.assets.len(), c.vsax_assets);
    // With no PSA companies nothing can be mapped.
    assert!(d
        .vsax
        .organizations
        .iter()
        .all(|o| o["PsaMappingId"].is_null()));
}

#[test]
fn ids_are_unique_and_ascending() {
    let d = generate(5, &preset("realistic"));
    let int_lists: [(&[Record], &str); 11] = [
        (&d.vsax.organizations, "Id"),
        (&d.vsax.sites, "Id"),
        (&d.vsax.groups, "Id"),
        (&d.vsax.notifications, "Id"),
        (&d.vsa9.orgs, "OrgId"),
        (&d.vsa9.machine_groups, "MachineGroupId"),
        (&d.vsa9.warehouse_machine_groups, "MachineGroupId"),
        (&d.autotask.companies, "id"),
        (&d.autotask.contacts, "id"),
        (&d.autotask.tickets, "id"),
        (&d.autotask.configuration_items, "id"),
    ];
    for (list, field) in int_lists {
        let ids: Vec<i64> = list.iter().map(|r| int(r, field)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{field}");
    }
    let string_lists: [(&[Record], &str); 4] = [
        (&d.vsax.devices, "Identifier"),
        (&d.vsax.assets, "Identifier"),
        (&d.vsa9.agents, "AgentId"),
        (&d.vsa9.warehouse_agents, "AgentId"),
    ];
    for (list, field) in string_lists {
        let ids: Vec<&str> = list.iter().map(|r| text(r, field)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{field}");
    }
    // Agent ids are digit strings of one width, so numeric order is string order.
    let agent_ids: Vec<&str> = d.vsa9.agents.iter().map(|r| text(r, "AgentId")).collect();
    assert!(agent_ids
        .iter()
        .all(|a| a.len() == 15 && a.bytes().all(|b| b.is_ascii_digit())));
    assert_eq!(int(&d.autotask.companies[0], "id"), 0);
    assert_eq!(text(&d.autotask.companies[0], "companyName"), "Your MSP");
}

#[test]
fn vsa9_int_ids_fit_int32_even_at_the_cap() {
    let mut c = preset("small");
    c.set("vsa9.machine_groups", Counts::MAX).expect("valid");
    c.set("vsa9.agents", 0).expect("valid");
    let d = generate(3, &c);
    let last = d.vsa9.machine_groups.last().expect("groups");
    assert!(int(last, "MachineGroupId") < i64::from(i32::MAX));
}

#[test]
fn vsax_foreign_keys_resolve_and_agree() {
    let d = generate(11, &preset("realistic"));
    let v = &d.vsax;
    let orgs = by_id(&v.organizations, "Id");
    let sites = by_id(&v.sites, "Id");
    let groups = by_id(&v.groups, "Id");
    let companies = by_id(&d.autotask.companies, "id");
    for o in &v.organizations {
        match opt_int(o, "PsaMappingId") {
            Some(id) => {
                assert!(companies.contains_key(&id) && id != 0);
                assert_eq!(o["PsaMappingType"], "AutoTask");
            }
            None => assert!(o["PsaMappingType"].is_null()),
        }
    }
    for s in &v.sites {
        let o = orgs[&int(s, "OrganizationId")];
        assert_eq!(s["OrganizationName"], o["Name"]);
    }
    for g in &v.groups {
        let s = sites[&int(g, "SiteId")];
        assert_eq!(g["SiteName"], s["Name"]);
        assert_eq!(g["OrganizationId"], s["OrganizationId"]);
        assert_eq!(g["OrganizationName"], s["OrganizationName"]);
        assert_eq!(g["ParentSiteId"], s["Id"]);
    }
    for dev in &v.devices {
        let g = groups[&int(dev, "GroupId")];
        for (mine, theirs) in [
            ("GroupName", "Name"),
            ("SiteId", "SiteId"),
            ("SiteName", "SiteName"),
            ("OrganizationId", "OrganizationId"),
            ("OrganizationName", "OrganizationName"),
        ] {
            assert_eq!(dev[mine], g[theirs]);
        }
    }
    assert_eq!(v.notification_device.len(), v.notifications.len());
    for (n, i) in v.notifications.iter().zip(&v.notification_device) {
        let name = text(&v.devices[*i], "Name");
        assert!(text(n, "Message").contains(name), "{n:?} / {name}");
        assert!(["low", "normal", "elevated", "critical"].contains(&text(n, "Priority")));
    }
    for a in &v.assets {
        let o = orgs[&int(a, "OrganizationId")];
        assert_eq!(a["OrganizationName"], o["Name"]);
        if let Some(site) = opt_int(a, "SiteId") {
            assert_eq!(sites[&site]["OrganizationId"], a["OrganizationId"]);
        }
        if let Some(group) = opt_int(a, "GroupId") {
            assert_eq!(groups[&group]["SiteId"], a["SiteId"]);
        }
    }
}

#[test]
fn vsa9_foreign_keys_resolve_and_agree() {
    let d = generate(12, &preset("realistic"));
    let v = &d.vsa9;
    let orgs = by_id(&v.orgs, "OrgId");
    let groups = by_id(&v.machine_groups, "MachineGroupId");
    for o in &v.orgs {
        let root = opt_int(o, "DefaultMachineGroupId").expect("every org has a root group");
        assert_eq!(groups[&root]["OrgId"], o["OrgId"]);
    }
    for g in &v.machine_groups {
        let org = orgs[&int(g, "OrgId")];
        assert!(text(g, "MachineGroupName").ends_with(&format!(".{}", text(org, "OrgRef"))));
        if let Some(parent) = opt_int(g, "ParentMachineGroupId") {
            let p = groups[&parent];
            assert_eq!(p["OrgId"], g["OrgId"]);
            let suffix = format!(".{}", text(p, "MachineGroupName"));
            assert!(text(g, "MachineGroupName").ends_with(&suffix));
        }
    }
    for (rest, dw) in v.agents.iter().zip(&v.warehouse_agents) {
        let g = groups[&int(rest, "MachineGroupId")];
        assert_eq!(rest["OrgId"], g["OrgId"]);
        assert_eq!(rest["MachineGroup"], g["MachineGroupName"]);
        let expected_name = format!(
            "{}.{}",
            text(rest, "ComputerName").to_lowercase(),
            text(g, "MachineGroupName")
        );
        assert_eq!(text(rest, "AgentName"), expected_name);
        assert_eq!(rest["AgentId"], dw["AgentId"]);
        assert_eq!(rest["AgentName"], dw["AgentName"]);
        assert_eq!(rest["Online"].as_i64() == Some(1), dw["Online"] == true);
        assert!(text(rest, "LastCheckInTime").ends_with('Z'));
    }
}

#[test]
fn autotask_foreign_keys_resolve_and_agree() {
    let d = generate(13, &preset("realistic"));
    let a = &d.autotask;
    let companies = by_id(&a.companies, "id");
    let contacts = by_id(&a.contacts, "id");
    let items = by_id(&a.configuration_items, "id");
    for c in a.contacts.iter().chain(&a.configuration_items) {
        assert!(companies.contains_key(&int(c, "companyID")));
    }
    for t in &a.tickets {
        let company = int(t, "companyID");
        assert!(companies.contains_key(&company));
        if let Some(c) = opt_int(t, "contactID") {
            assert_eq!(int(contacts[&c], "companyID"), company);
        }
        if let Some(ci) = opt_int(t, "configurationItemID") {
            assert_eq!(int(items[&ci], "companyID"), company);
        }
        let number = text(t, "ticketNumber");
        let date = text(t, "createDate");
        assert_eq!(number.len(), 14, "{number}");
        assert_eq!(&number[1..5], &date[0..4]);
    }
}

#[test]
fn dates_are_iso_utc_in_2024_to_2026() {
    let d = generate(14, &preset("realistic"));
    let fields: [(&[Record], &str); 5] = [
        (&d.autotask.companies, "createDate"),
        (&d.autotask.companies, "lastActivityDate"),
        (&d.autotask.tickets, "createDate"),
        (&d.autotask.configuration_items, "installDate"),
        (&d.vsa9.agents, "LastCheckInTime"),
    ];
    for (list, field) in fields {
        for r in list {
            let s = text(r, field);
            assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T', "{s}");
            assert!(("2024".."2027").contains(&&s[..4]), "{s}");
        }
    }
    for n in &d.vsax.notifications {
        let t = int(n, "DateTime");
        assert!((1_704_067_200..1_798_761_600).contains(&t));
    }
}

/// Share of `names` whose match key is also an Autotask company's.
fn shared_share(d: &Dataset, names: &[&str]) -> f64 {
    let psa: HashSet<String> = d
        .autotask
        .companies
        .iter()
        .map(|c| match_key(text(c, "companyName")))
        .collect();
    let shared = names.iter().filter(|n| psa.contains(&match_key(n))).count();
    shared as f64 / names.len() as f64
}

#[test]
fn most_rmm_organizations_are_psa_companies() {
    for p in ["small", "realistic", "large"] {
        let d = generate(21, &preset(p));
        let vsax: Vec<&str> = d
            .vsax
            .organizations
            .iter()
            .map(|o| text(o, "Name"))
            .collect();
        let vsa9: Vec<&str> = d.vsa9.orgs.iter().map(|o| text(o, "OrgName")).collect();
        for share in [shared_share(&d, &vsax), shared_share(&d, &vsa9)] {
            assert!((0.5..=0.9).contains(&share), "{p}: {share}");
        }
        // A mapping points at the company with the same business name.
        let companies = by_id(&d.autotask.companies, "id");
        let mut spelled_differently = 0;
        for o in &d.vsax.organizations {
            if let Some(id) = opt_int(o, "PsaMappingId") {
                let company = text(companies[&id], "companyName");
                assert_eq!(match_key(text(o, "Name")), match_key(company));
                spelled_differently += usize::from(text(o, "Name") != company);
            } else {
                assert!(shared_share(&d, &[text(o, "Name")]) == 0.0);
            }
        }
        if p != "small" {
            assert!(
                spelled_differently > 0,
                "{p}: some names differ in spelling"
            );
        }
    }
}

#[test]
fn names_are_unique_where_products_require_it() {
    let d = generate(22, &preset("large"));
    let lists: [(&[Record], &str); 7] = [
        (&d.autotask.companies, "companyName"),
        (&d.vsax.organizations, "Name"),
        (&d.vsax.devices, "Name"),
        (&d.vsa9.orgs, "OrgName"),
        (&d.vsa9.orgs, "OrgRef"),
        (&d.vsa9.agents, "AgentName"),
        (&d.vsa9.machine_groups, "MachineGroupName"),
    ];
    for (list, field) in lists {
        let names: HashSet<&str> = list.iter().map(|r| text(r, field)).collect();
        assert_eq!(names.len(), list.len(), "{field}");
    }
    // Site names are unique within an organization, group names within a site.
    let sites: HashSet<(i64, &str)> = d
        .vsax
        .sites
        .iter()
        .map(|s| (int(s, "OrganizationId"), text(s, "Name")))
        .collect();
    assert_eq!(sites.len(), d.vsax.sites.len());
    let groups: HashSet<(i64, &str)> = d
        .vsax
        .groups
        .iter()
        .map(|g| (int(g, "SiteId"), text(g, "Name")))
        .collect();
    assert_eq!(groups.len(), d.vsax.groups.len());
}

#[test]
fn changing_one_count_leaves_unrelated_lists_alone() {
    let base = preset("small");
    let a = generate(30, &base);
    let mut more_devices = base.clone();
    more_devices.set("vsax.devices", 500).expect("valid");
    let b = generate(30, &more_devices);
    assert_eq!(a.vsax.organizations, b.vsax.organizations);
    assert_eq!(a.vsax.sites, b.vsax.sites);
    assert_eq!(a.vsax.groups, b.vsax.groups);
    assert_eq!(a.vsa9.agents, b.vsa9.agents);
    assert_eq!(a.autotask.tickets, b.autotask.tickets);

    let mut more_tickets = base.clone();
    more_tickets.set("autotask.tickets", 900).expect("valid");
    let c = generate(30, &more_tickets);
    assert_eq!(json_without_tickets(&a), json_without_tickets(&c));
}

fn json_without_tickets(d: &Dataset) -> String {
    let lists = [
        &d.vsax.organizations,
        &d.vsax.devices,
        &d.vsax.notifications,
        &d.vsa9.agents,
        &d.autotask.companies,
        &d.autotask.contacts,
        &d.autotask.configuration_items,
    ];
    serde_json::to_string(&lists).expect("serialisable")
}

#[test]
fn shapes_match_the_vendor_field_names() {
    let d = generate(40, &preset("small"));
    let keys = |r: &Record| r.keys().cloned().collect::<HashSet<String>>();
    let has = |r: &Record, fields: &[&str]| {
        let k = keys(r);
        fields.iter().all(|f| k.contains(*f))
    };
    assert!(has(
        &d.vsax.devices[0],
        &[
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
            "HasCustomFields"
        ]
    ));
    assert!(has(
        &d.vsax.organizations[0],
        &[
            "Id",
            "Name",
            "HasCustomFields",
            "PsaMappingId",
            "PsaMappingType"
        ]
    ));
    assert!(has(
        &d.vsa9.agents[0],
        &[
            "AgentId",
            "AgentName",
            "ComputerName",
            "IPAddress",
            "OSType",
            "OSInfo",
            "MachineGroupId",
            "MachineGroup",
            "Online",
            "LastCheckInTime",
            "OrgId"
        ]
    ));
    assert!(has(
        &d.autotask.companies[0],
        &[
            "id",
            "companyName",
            "companyType",
            "companyNumber",
            "phone",
            "city",
            "state",
            "countryID",
            "isActive",
            "ownerResourceID",
            "createDate",
            "lastActivityDate",
            "userDefinedFields"
        ]
    ));
    assert!(d.vsax.devices[0]["Identifier"].is_string());
    assert!(d.autotask.companies[0]["isActive"].is_boolean());
    assert!(d.autotask.contacts[0]["isActive"].is_i64());
}
