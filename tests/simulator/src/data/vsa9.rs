//! Kaseya VSA 9: orgs, machine groups and agents for the REST API, and the same machine
//! groups and agents as Data Warehouse (OData) entity sets.
//!
//! VSA 9 names machines by dotted path: machine "hd-frontdesk-01" in group "frontdesk" of
//! org "harbordental" is agent "hd-frontdesk-01.frontdesk.harbordental"; subgroups add a
//! level ("dc.servers.harbordental"). Int ids stay within Edm.Int32, as the API's filters
//! require; agent ids are large numeric strings.

use fastrand::Rng;
use serde_json::Value;

use super::autotask::Company;
use super::dates::{self, NOW};
use super::hardware::{self, HostNamer, Role};
use super::mapping::{rmm_orgs, RmmOrg};
use super::names::ScopedNames;
use super::rng::{chance, pick, sparse_ids, stream, Skewed};
use super::words::MACHINE_GROUP_NAMES;
use super::{child_count, record, Counts, Record, Vsa9Data};

struct Org {
    id: i64,
    rmm: RmmOrg,
    /// The short lowercase org id that ends every machine and group path.
    reference: String,
}

struct MachineGroup {
    id: i64,
    org: usize,
    parent: Option<usize>,
    /// Full dotted name: "servers.harbordental".
    path: String,
}

/// A list is empty when its parent list is: every foreign key must resolve.
pub fn generate(seed: u64, counts: &Counts, companies: &[Company]) -> Vsa9Data {
    let orgs = orgs(seed, counts.vsa9_orgs, companies);
    let group_count = child_count(orgs.len(), counts.vsa9_machine_groups);
    let groups = machine_groups(seed, group_count, &orgs);
    let agent_count = child_count(groups.len(), counts.vsa9_agents);
    let (agents, warehouse_agents) = agents(seed, agent_count, &orgs, &groups);
    let group_record = |g: &MachineGroup, warehouse: bool| {
        let parent: Option<i64> = g.parent.map(|p| groups[p].id);
        let mut r = record([
            ("MachineGroupId", g.id.into()),
            ("MachineGroupName", g.path.clone().into()),
            ("ParentMachineGroupId", parent.into()),
            ("OrgId", orgs[g.org].id.into()),
        ]);
        if warehouse {
            r.insert("OrgName".into(), orgs[g.org].rmm.name.clone().into());
        }
        r
    };
    Vsa9Data {
        orgs: org_records(seed, &orgs, &groups),
        machine_groups: groups.iter().map(|g| group_record(g, false)).collect(),
        agents,
        warehouse_agents,
        warehouse_machine_groups: groups.iter().map(|g| group_record(g, true)).collect(),
    }
}

/// Large Int32 ids with gaps, like VSA 9's: 1,000,000 records still end below 2^31.
fn int32_ids(rng: &mut Rng, n: usize) -> Vec<i64> {
    let start = rng.i64(100_000_000..110_000_000);
    sparse_ids(rng, n, start, 1_500)
}

fn orgs(seed: u64, n: usize, companies: &[Company]) -> Vec<Org> {
    let mut rng = stream(seed, "vsa9.orgs.ids");
    let ids = int32_ids(&mut rng, n);
    let mut references = ScopedNames::new("");
    rmm_orgs(seed, "vsa9.orgs", n, companies)
        .into_iter()
        .zip(ids)
        .map(|(rmm, id)| Org {
            id,
            reference: references.claim((), &rmm.business.short_slug(20)),
            rmm,
        })
        .collect()
}

fn org_records(seed: u64, orgs: &[Org], groups: &[MachineGroup]) -> Vec<Record> {
    let mut rng = stream(seed, "vsa9.orgs.records");
    orgs.iter()
        .enumerate()
        .map(|(i, o)| {
            // Machine group i is org i's root group (while there are enough groups).
            let root: Option<i64> = groups.get(i).filter(|g| g.org == i).map(|g| g.id);
            let org_type = if o.rmm.psa_id.is_some() || chance(&mut rng, 0.8) {
                "Customer"
            } else {
                *pick(&mut rng, &["Prospect", "Internal", "Other"])
            };
            record([
                ("OrgId", o.id.into()),
                ("OrgName", o.rmm.name.clone().into()),
                ("OrgRef", o.reference.clone().into()),
                ("OrgType", org_type.into()),
                (
                    "DefaultDepartmentId",
                    rng.i64(200_000_000..900_000_000).into(),
                ),
                ("DefaultMachineGroupId", root.into()),
                ("ParentOrgId", Value::Null),
                (
                    "Website",
                    format!("https://www.{}", o.rmm.business.domain()).into(),
                ),
                ("NumberOfEmployees", rng.i64(3..400).into()),
            ])
        })
        .collect()
}

/// Machine groups: every org gets its "root" group first; later groups are top-level or
/// nested one level under one of the org's existing top-level groups (so a parent id is
/// always smaller, and paths stay like "dc.servers.harbordental").
fn machine_groups(seed: u64, n: usize, orgs: &[Org]) -> Vec<MachineGroup> {
    let mut rng = stream(seed, "vsa9.machine_groups");
    let ids = int32_ids(&mut rng, n);
    let owner = Skewed::new(&mut rng, orgs.len(), None);
    let mut names: ScopedNames<(usize, Option<usize>)> = ScopedNames::new("");
    let mut top_level_of: Vec<Vec<usize>> = vec![Vec::new(); orgs.len()];
    let mut groups: Vec<MachineGroup> = Vec::with_capacity(n);
    for (i, id) in ids.into_iter().enumerate() {
        let (org, parent, wanted) = if i < orgs.len() {
            (i, None, "root")
        } else {
            let org = owner.pick(&mut rng);
            let candidates = &top_level_of[org];
            let parent = if !candidates.is_empty() && chance(&mut rng, 0.4) {
                Some(*pick(&mut rng, candidates))
            } else {
                None
            };
            (org, parent, *pick(&mut rng, MACHINE_GROUP_NAMES))
        };
        let name = names.claim((org, parent), wanted);
        let under = parent.map_or(orgs[org].reference.as_str(), |p| groups[p].path.as_str());
        let path = format!("{name}.{under}");
        if i >= orgs.len() && parent.is_none() {
            top_level_of[org].push(i);
        }
        groups.push(MachineGroup {
            id,
            org,
            parent,
            path,
        });
    }
    groups
}

/// Agents as REST records and as Data Warehouse records, sorted by AgentId.
fn agents(
    seed: u64,
    n: usize,
    orgs: &[Org],
    groups: &[MachineGroup],
) -> (Vec<Record>, Vec<Record>) {
    let mut rng = stream(seed, "vsa9.agents");
    let owner = Skewed::new(&mut rng, groups.len(), None);
    // Fixed-width 15-digit ids: string order and numeric order agree.
    let start = rng.i64(100_000_000_000_000..400_000_000_000_000);
    let ids = sparse_ids(&mut rng, n, start, 100_000_000);
    let mut namer = HostNamer::default();
    let mut rest = Vec::with_capacity(n);
    let mut warehouse = Vec::with_capacity(n);
    for id in ids {
        let g = &groups[owner.pick(&mut rng)];
        let org = &orgs[g.org];
        let group_word = g.path.split('.').next().unwrap_or_default();
        // VSA 9 agents run on computers, not phones.
        let role = match Role::for_group(&mut rng, group_word) {
            Role::Mobile => Role::Workstation,
            r => r,
        };
        let computer = namer.name(&mut rng, &org.rmm.business.initials(), role);
        let agent_name = format!("{}.{}", computer.to_ascii_lowercase(), g.path);
        let model = hardware::model(&mut rng, role);
        let (os_type, os_info, os_name) = hardware::os(&mut rng, role, model);
        let ip = format!("192.168.{}.{}", rng.u8(0..=20), rng.u8(2..=254));
        let online = chance(&mut rng, if role == Role::Server { 0.92 } else { 0.65 });
        let seen = if online {
            NOW - rng.i64(0..120)
        } else {
            NOW - rng.i64(3_600..90 * 86_400)
        };
        let agent_id = id.to_string();
        rest.push(record([
            ("AgentId", agent_id.clone().into()),
            ("AgentName", agent_name.clone().into()),
            ("ComputerName", computer.clone().into()),
            ("IPAddress", ip.clone().into()),
            ("OSType", os_type.into()),
            ("OSInfo", os_info.into()),
            ("MachineGroupId", g.id.into()),
            ("MachineGroup", g.path.clone().into()),
            ("OrgId", org.id.into()),
            ("Online", i64::from(online).into()),
            ("LastCheckInTime", dates::iso(seen).into()),
        ]));
        warehouse.push(record([
            ("AgentId", agent_id.into()),
            ("AgentName", agent_name.into()),
            ("ComputerName", computer.into()),
            ("MachineGroup", g.path.clone().into()),
            ("MachineGroupId", g.id.into()),
            ("OrgId", org.id.into()),
            ("OperatingSystem", os_name.into()),
            ("IpAddress", ip.into()),
            ("LastCheckinTime", dates::iso(seen).into()),
            ("Online", online.into()),
        ]));
    }
    (rest, warehouse)
}
