//! Kaseya VSA X: organizations > sites > groups > devices, plus notifications and assets
//! (PascalCase fields, as the v3 API returns them in list form).
//!
//! Every child repeats its parents' ids and names (a device carries GroupName, SiteName,
//! OrganizationName), exactly as the list endpoints do, and they always agree.

use fastrand::Rng;
use serde_json::Value;

use super::autotask::Company;
use super::dates::{self, NOW, START};
use super::hardware::{self, HostNamer, Role, PERIPHERALS};
use super::mapping::{rmm_orgs, RmmOrg};
use super::names::{Person, ScopedNames};
use super::rng::{chance, guid, pick, sparse_ids, stream, weighted_index, Skewed};
use super::words::{CITIES, GROUP_NAMES, SITE_NAMES};
use super::{child_count, record, Counts, Record, VsaxData};

struct Site {
    id: i64,
    org: usize,
    name: String,
}

struct Group {
    id: i64,
    site: usize,
    name: String,
}

struct Device {
    identifier: String,
    name: String,
    role: Role,
    group: usize,
}

/// The parents every child record copies its ids and names from.
struct Tree<'a> {
    orgs: &'a [RmmOrg],
    org_ids: &'a [i64],
    sites: &'a [Site],
    groups: &'a [Group],
}

impl Tree<'_> {
    /// The Site/Organization fields of a record in `site`.
    fn site_fields(&self, site: usize) -> [(&'static str, Value); 4] {
        let s = &self.sites[site];
        [
            ("SiteId", s.id.into()),
            ("SiteName", s.name.clone().into()),
            ("OrganizationId", self.org_ids[s.org].into()),
            ("OrganizationName", self.orgs[s.org].name.clone().into()),
        ]
    }
}

/// A list is empty when its parent list is: every foreign key must resolve.
pub fn generate(seed: u64, counts: &Counts, companies: &[Company]) -> VsaxData {
    let orgs = rmm_orgs(
        seed,
        "vsax.organizations",
        counts.vsax_organizations,
        companies,
    );
    let mut rng = stream(seed, "vsax.organizations.ids");
    let start = rng.i64(100..200);
    let org_ids = sparse_ids(&mut rng, orgs.len(), start, 4);
    let organizations = orgs
        .iter()
        .zip(&org_ids)
        .map(|(o, id)| {
            record([
                ("Id", (*id).into()),
                ("Name", o.name.clone().into()),
                ("HasCustomFields", chance(&mut rng, 0.3).into()),
                ("PsaMappingId", o.psa_id.into()),
                ("PsaMappingType", o.psa_id.map(|_| "AutoTask").into()),
            ])
        })
        .collect();

    let site_count = child_count(orgs.len(), counts.vsax_sites);
    let sites = sites(seed, site_count, &orgs, &org_ids);
    let groups = groups(seed, child_count(sites.len(), counts.vsax_groups), &sites);
    let tree = Tree {
        orgs: &orgs,
        org_ids: &org_ids,
        sites: &sites,
        groups: &groups,
    };
    let device_count = child_count(groups.len(), counts.vsax_devices);
    let (devices, device_records) = devices(seed, device_count, &tree);
    let (devices_sorted, rank) = sort_by_identifier(device_records);
    let notification_count = child_count(devices.len(), counts.vsax_notifications);
    let (notifications, notification_device) =
        notifications(seed, notification_count, &devices, &rank);
    let asset_count = child_count(orgs.len(), counts.vsax_assets);
    let assets = assets(seed, asset_count, &tree, &devices);

    VsaxData {
        organizations,
        sites: site_records(seed, &tree),
        groups: group_records(seed, &tree),
        devices: devices_sorted,
        notifications,
        notification_device,
        assets,
    }
}

/// Sites: every organization gets one (while there are enough), the rest go mostly to the
/// larger organizations. Names are unique within an organization.
fn sites(seed: u64, n: usize, orgs: &[RmmOrg], org_ids: &[i64]) -> Vec<Site> {
    let mut rng = stream(seed, "vsax.sites");
    let start = rng.i64(200..400);
    let ids = sparse_ids(&mut rng, n, start, 4);
    let owner = Skewed::new(&mut rng, org_ids.len(), None);
    let mut names = ScopedNames::new(" ");
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let first = i < orgs.len();
            let org = if first { i } else { owner.pick(&mut rng) };
            let wanted = if first {
                match weighted_index(&mut rng, &[50, 20, 30]) {
                    0 => "Main Office".to_owned(),
                    1 => "Headquarters".to_owned(),
                    _ => orgs[org].business.city.name.to_owned(),
                }
            } else if chance(&mut rng, 0.5) {
                format!("{} Office", pick(&mut rng, CITIES).name)
            } else {
                (*pick(&mut rng, SITE_NAMES)).to_owned()
            };
            Site {
                id,
                org,
                name: names.claim(org, &wanted),
            }
        })
        .collect()
}

fn site_records(seed: u64, tree: &Tree) -> Vec<Record> {
    let mut rng = stream(seed, "vsax.sites.records");
    tree.sites
        .iter()
        .map(|s| {
            let business = &tree.orgs[s.org].business;
            let contact = Person::random(&mut rng);
            record([
                ("Id", s.id.into()),
                ("Name", s.name.clone().into()),
                ("OrganizationId", tree.org_ids[s.org].into()),
                ("OrganizationName", tree.orgs[s.org].name.clone().into()),
                ("ContactPerson", contact.full_name().into()),
                ("ContactEmail", contact.email(&business.domain()).into()),
                ("Phone", business.phone(&mut rng).into()),
            ])
        })
        .collect()
}

/// Groups: one per site first, the rest spread over sites. Names unique within a site.
fn groups(seed: u64, n: usize, sites: &[Site]) -> Vec<Group> {
    let mut rng = stream(seed, "vsax.groups");
    let start = rng.i64(300..600);
    let ids = sparse_ids(&mut rng, n, start, 4);
    let owner = Skewed::new(&mut rng, sites.len(), None);
    let mut names = ScopedNames::new(" ");
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let site = if i < sites.len() {
                i
            } else {
                owner.pick(&mut rng)
            };
            let wanted = if i < sites.len() {
                "Workstations"
            } else {
                pick(&mut rng, GROUP_NAMES)
            };
            Group {
                id,
                site,
                name: names.claim(site, wanted),
            }
        })
        .collect()
}

fn group_records(seed: u64, tree: &Tree) -> Vec<Record> {
    const NOTES: &[&str] = &[
        "",
        "",
        "",
        "Patch window: Sunday 02:00-05:00",
        "After-hours alerts go to on-call",
        "Do not reboot during business hours",
        "Onsite contact handles hardware swaps",
    ];
    let mut rng = stream(seed, "vsax.groups.records");
    tree.groups
        .iter()
        .map(|g| {
            let [site_id, site_name, org_id, org_name] = tree.site_fields(g.site);
            record([
                ("Id", g.id.into()),
                ("Name", g.name.clone().into()),
                site_id.clone(),
                site_name,
                org_id,
                org_name,
                // The create/update body names the parent site this way; kept for clients
                // that read it back.
                ("ParentSiteId", site_id.1),
                ("Notes", (*pick(&mut rng, NOTES)).into()),
            ])
        })
        .collect()
}

/// Devices in creation order, with their records.
fn devices(seed: u64, n: usize, tree: &Tree) -> (Vec<Device>, Vec<Record>) {
    let mut rng = stream(seed, "vsax.devices");
    let owner = Skewed::new(&mut rng, tree.groups.len(), None);
    let mut namer = HostNamer::default();
    let mut devices = Vec::with_capacity(n);
    let mut records = Vec::with_capacity(n);
    for _ in 0..n {
        let group = owner.pick(&mut rng);
        let g = &tree.groups[group];
        let org = &tree.orgs[tree.sites[g.site].org];
        let role = Role::for_group(&mut rng, &g.name);
        let device = Device {
            identifier: guid(&mut rng),
            name: namer.name(&mut rng, &org.business.initials(), role),
            role,
            group,
        };
        let [site_id, site_name, org_id, org_name] = tree.site_fields(g.site);
        records.push(record([
            ("Identifier", device.identifier.clone().into()),
            ("Name", device.name.clone().into()),
            ("GroupId", g.id.into()),
            ("GroupName", g.name.clone().into()),
            (
                "IsAgentInstalled",
                (role != Role::Mobile && !chance(&mut rng, 0.03)).into(),
            ),
            ("IsMdmEnrolled", (role == Role::Mobile).into()),
            site_id,
            site_name,
            org_id,
            org_name,
            ("HasCustomFields", chance(&mut rng, 0.15).into()),
        ]));
        devices.push(device);
    }
    (devices, records)
}

/// Sorts device records by Identifier; also returns, for each creation-order index, the
/// record's index in the sorted list.
fn sort_by_identifier(records: Vec<Record>) -> (Vec<Record>, Vec<usize>) {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_unstable_by(|a, b| identifier(&records[*a]).cmp(&identifier(&records[*b])));
    let mut rank = vec![0; records.len()];
    for (sorted, original) in order.iter().enumerate() {
        rank[*original] = sorted;
    }
    let mut slots: Vec<Option<Record>> = records.into_iter().map(Some).collect();
    let sorted = order
        .iter()
        .filter_map(|original| slots[*original].take())
        .collect();
    (sorted, rank)
}

/// The GUID that devices and assets are listed by.
fn identifier(r: &Record) -> Option<&str> {
    r.get("Identifier").and_then(Value::as_str)
}

/// Notification messages with the priority each usually carries; `{d}` is the device name.
const ALERTS: &[(&str, &str, u32)] = &[
    ("{d} went offline", "critical", 6),
    ("{d} came back online", "low", 8),
    ("CPU usage on {d} above 90% for 15 minutes", "elevated", 9),
    ("Memory usage on {d} above 95%", "elevated", 6),
    ("Low disk space on {d}: C: has 4% free", "critical", 4),
    (
        "Windows updates installed on {d}, reboot pending",
        "normal",
        14,
    ),
    ("Windows Update failed on {d}", "elevated", 6),
    ("Service 'Print Spooler' stopped on {d}", "normal", 8),
    ("Antivirus quarantined a threat on {d}", "critical", 2),
    ("Backup job failed on {d}", "critical", 3),
    ("Backup completed with warnings on {d}", "normal", 10),
    ("Agent updated on {d}", "low", 12),
    ("User logged on to {d} outside business hours", "low", 4),
    ("SMART warning on disk 0 of {d}", "elevated", 2),
];

/// Notifications (ids and times grow together), and for each its device's sorted index.
fn notifications(
    seed: u64,
    n: usize,
    devices: &[Device],
    rank: &[usize],
) -> (Vec<Record>, Vec<usize>) {
    let mut rng = stream(seed, "vsax.notifications");
    // A few noisy devices raise most alerts.
    let source = Skewed::new(&mut rng, devices.len(), None);
    let weights: Vec<u32> = ALERTS.iter().map(|a| a.2).collect();
    let start = rng.i64(1_000..5_000);
    let ids = sparse_ids(&mut rng, n, start, 3);
    let times = dates::sorted_between(&mut rng, n, START, NOW);
    let mut owners = Vec::with_capacity(n);
    let records = ids
        .into_iter()
        .zip(times)
        .map(|(id, time)| {
            let device = source.pick(&mut rng);
            owners.push(rank[device]);
            let (text, priority, _) = ALERTS[weighted_index(&mut rng, &weights)];
            record([
                ("Id", id.into()),
                ("Message", text.replace("{d}", &devices[device].name).into()),
                ("DateTime", time.into()),
                ("Priority", priority.into()),
            ])
        })
        .collect();
    (records, owners)
}

/// Assets: one per device (same Identifier, as the asset inventory describes the device),
/// then printers, switches and firewalls that run no agent. Sorted by Identifier.
fn assets(seed: u64, n: usize, tree: &Tree, devices: &[Device]) -> Vec<Record> {
    let mut rng = stream(seed, "vsax.assets");
    let site_sampler = Skewed::new(&mut rng, tree.sites.len(), None);
    let mut namer = HostNamer::default();
    let mut records: Vec<Record> = (0..n)
        .map(|i| match devices.get(i) {
            Some(d) => device_asset(&mut rng, tree, d),
            None => peripheral_asset(&mut rng, tree, &site_sampler, &mut namer),
        })
        .collect();
    records.sort_unstable_by(|a, b| identifier(a).cmp(&identifier(b)));
    records
}

fn device_asset(rng: &mut Rng, tree: &Tree, d: &Device) -> Record {
    let g = &tree.groups[d.group];
    let model = hardware::model(rng, d.role);
    let [site_id, site_name, org_id, org_name] = tree.site_fields(g.site);
    record([
        ("Identifier", d.identifier.clone().into()),
        ("Name", d.name.clone().into()),
        ("AssetType", d.role.asset_type().into()),
        ("Manufacturer", model.manufacturer.into()),
        ("Model", model.model.into()),
        (
            "SerialNumber",
            hardware::serial(rng, model.manufacturer).into(),
        ),
        org_id,
        org_name,
        site_id,
        site_name,
        ("GroupId", g.id.into()),
        ("GroupName", g.name.clone().into()),
    ])
}

fn peripheral_asset(
    rng: &mut Rng,
    tree: &Tree,
    site_sampler: &Skewed,
    namer: &mut HostNamer,
) -> Record {
    let (kind, model) = pick(rng, PERIPHERALS);
    let tag = match *kind {
        "Printer" => "PRN",
        "Network Device" => "SW",
        "Firewall" => "FW",
        "NAS" => "NAS",
        _ => "UPS",
    };
    // Without sites the asset still belongs to an organization.
    let (org, site_fields) = if tree.sites.is_empty() {
        (rng.usize(..tree.orgs.len()), None)
    } else {
        let site = site_sampler.pick(rng);
        (tree.sites[site].org, Some(tree.site_fields(site)))
    };
    let [site_id, site_name, org_id, org_name] = site_fields.unwrap_or_else(|| {
        [
            ("SiteId", Value::Null),
            ("SiteName", Value::Null),
            ("OrganizationId", tree.org_ids[org].into()),
            ("OrganizationName", tree.orgs[org].name.clone().into()),
        ]
    });
    record([
        ("Identifier", guid(rng).into()),
        (
            "Name",
            namer
                .tagged(&tree.orgs[org].business.initials(), tag)
                .into(),
        ),
        ("AssetType", (*kind).into()),
        ("Manufacturer", model.manufacturer.into()),
        ("Model", model.model.into()),
        (
            "SerialNumber",
            hardware::serial(rng, model.manufacturer).into(),
        ),
        org_id,
        org_name,
        site_id,
        site_name,
        ("GroupId", Value::Null),
        ("GroupName", Value::Null),
    ])
}
