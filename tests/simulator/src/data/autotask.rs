//! Autotask PSA: companies, contacts, tickets and configuration items (camelCase fields).
//!
//! Ids start at 0 (company 0 is the MSP itself, as in every Autotask database) and grow by
//! random steps, so keyset paging (`id gt last`) meets gaps the way it does on a real tenant.

use std::collections::HashSet;

use fastrand::Rng;
use serde_json::Value;

use super::dates::{self, NOW, START};
use super::hardware::{self, HostNamer, Role};
use super::names::{businesses, Business, Person};
use super::rng::{chance, pick, sparse_ids, stream, weighted_index, Skewed};
use super::words::{Country, PLACES, TITLES};
use super::{child_count, record, AutotaskData, Counts, Record};

/// Autotask `companyType` picklist: Customer.
const CUSTOMER: i64 = 1;
/// The owner company's type. Unverified: the simulator only needs it to differ from the
/// customer/lead/prospect/dead/cancellation/vendor/partner values (1, 2, 3, 4, 6, 7, 8).
const OWNER: i64 = 5;

/// Resources (technicians) that own companies and get tickets assigned.
const RESOURCES: &[i64] = &[
    29_682_885, 29_682_886, 29_682_889, 29_682_893, 29_682_901, 29_682_907, 29_682_910,
];
/// Ticket queues (Client Portal, Triage, Level I, Level II, Monitoring Alerts).
const QUEUES: &[i64] = &[29_682_833, 29_682_834, 29_683_354, 29_683_481, 29_683_482];

/// A PSA company, as the RMM-side generators need to see it.
pub struct Company {
    pub id: i64,
    pub business: Business,
    pub company_type: i64,
}

impl Company {
    pub fn is_customer(&self) -> bool {
        self.company_type == CUSTOMER
    }
}

/// The companies, without their records: RMM organizations map onto these.
pub fn companies(seed: u64, n: usize) -> Vec<Company> {
    let mut rng = stream(seed, "autotask.companies");
    let ids = sparse_ids(&mut rng, n, 0, 3);
    // Names come from their own stream so adding companies leaves earlier names alone.
    let mut name_rng = stream(seed, "autotask.companies.names");
    let owner = Business::owner(&mut name_rng);
    let taken: HashSet<&str> = [owner.base.as_str()].into();
    let clients = businesses(&mut name_rng, n.saturating_sub(1), &taken);
    let mut type_rng = stream(seed, "autotask.companies.types");
    std::iter::once(owner)
        .chain(clients)
        .zip(ids)
        .enumerate()
        .map(|(i, (business, id))| {
            let company_type = if i == 0 {
                OWNER
            } else {
                // Customer, Lead, Prospect, Dead, Cancellation, Vendor, Partner.
                const TYPES: [i64; 7] = [1, 2, 3, 4, 6, 7, 8];
                TYPES[weighted_index(&mut type_rng, &[62, 8, 14, 6, 2, 6, 2])]
            };
            Company {
                id,
                business,
                company_type,
            }
        })
        .collect()
}

/// All four entity lists, every foreign key pointing at a generated record.
/// Contacts, tickets and configuration items are empty when there are no companies.
pub fn generate(seed: u64, counts: &Counts, companies: &[Company]) -> AutotaskData {
    let n = |count: usize| child_count(companies.len(), count);
    let (contacts, contacts_of) = contacts(seed, n(counts.autotask_contacts), companies);
    let (configuration_items, cis_of) =
        configuration_items(seed, n(counts.autotask_configuration_items), companies);
    let tickets = tickets(
        seed,
        n(counts.autotask_tickets),
        companies,
        &contacts_of,
        &cis_of,
    );
    AutotaskData {
        companies: company_records(seed, companies),
        contacts,
        tickets,
        configuration_items,
    }
}

/// Autotask country ids (values the simulator uses; not checked against a live tenant).
fn country_id(country: Country) -> i64 {
    match country {
        Country::Us => 237,
        Country::Canada => 39,
        Country::Uk => 236,
        Country::Germany => 83,
    }
}

fn postal_code(rng: &mut Rng, country: Country) -> String {
    match country {
        Country::Us => format!("{:05}", rng.u32(1_000..99_950)),
        Country::Canada => format!("T2P {}A{}", rng.u32(1..10), rng.u32(1..10)),
        Country::Uk => format!("LS{} {}AB", rng.u32(1..20), rng.u32(1..10)),
        Country::Germany => format!("{:05}", rng.u32(10_000..99_999)),
    }
}

fn company_records(seed: u64, companies: &[Company]) -> Vec<Record> {
    let mut rng = stream(seed, "autotask.companies.records");
    // Companies were created over time: createDate grows with id, like the real table.
    let created = dates::sorted_between(&mut rng, companies.len(), START, NOW - 30 * 86_400);
    companies
        .iter()
        .zip(created)
        .map(|(c, created)| {
            let b = &c.business;
            let inactive = matches!(c.company_type, 4 | 6) || chance(&mut rng, 0.03);
            let street = format!(
                "{} {} {}",
                rng.u32(10..9_900),
                pick(&mut rng, PLACES),
                pick(&mut rng, &["St", "Ave", "Rd", "Blvd", "Way", "Dr"])
            );
            let last_activity = dates::between(&mut rng, created, NOW);
            record([
                ("id", c.id.into()),
                ("companyName", b.psa_name().into()),
                ("companyType", c.company_type.into()),
                ("companyNumber", format!("{:06}", 100_000 + c.id).into()),
                ("phone", b.phone(&mut rng).into()),
                ("address1", street.into()),
                ("city", b.city.name.into()),
                ("state", b.city.state.into()),
                ("postalCode", postal_code(&mut rng, b.city.country).into()),
                ("countryID", country_id(b.city.country).into()),
                ("webAddress", format!("www.{}", b.domain()).into()),
                ("isActive", (!inactive).into()),
                ("ownerResourceID", (*pick(&mut rng, RESOURCES)).into()),
                (
                    "createDate",
                    dates::iso_millis(created, rng.u32(..1000)).into(),
                ),
                (
                    "lastActivityDate",
                    dates::iso_millis(last_activity, rng.u32(..1000)).into(),
                ),
                ("userDefinedFields", Value::Array(Vec::new())),
            ])
        })
        .collect()
}

/// Who contacts, tickets and CIs belong to: mostly customers, a little of everyone else,
/// never the MSP itself (unless it is the only company).
fn client_sampler(rng: &mut Rng, companies: &[Company], others: f64) -> Skewed {
    let scale: Vec<f64> = companies
        .iter()
        .enumerate()
        .map(|(i, c)| match (i, c.is_customer()) {
            (0, _) => 0.0,
            (_, true) => 1.0,
            (_, false) => others,
        })
        .collect();
    Skewed::new(rng, companies.len(), Some(&scale))
}

/// Contacts, and for each company (by index) the ids of its contacts.
fn contacts(seed: u64, n: usize, companies: &[Company]) -> (Vec<Record>, Vec<Vec<i64>>) {
    let mut rng = stream(seed, "autotask.contacts");
    let mut of_company = vec![Vec::new(); companies.len()];
    let owners = client_sampler(&mut rng, companies, 0.15);
    let start = rng.i64(1..=20);
    let ids = sparse_ids(&mut rng, n, start, 3);
    let records = ids
        .into_iter()
        .map(|id| {
            let ci = owners.pick(&mut rng);
            let c = &companies[ci];
            of_company[ci].push(id);
            let person = Person::random(&mut rng);
            record([
                ("id", id.into()),
                ("companyID", c.id.into()),
                ("firstName", person.first.into()),
                ("lastName", person.last.into()),
                ("emailAddress", person.email(&c.business.domain()).into()),
                ("title", (*pick(&mut rng, TITLES)).into()),
                ("phone", c.business.phone(&mut rng).into()),
                // Autotask's Contact.isActive is an integer flag, unlike Company.isActive.
                ("isActive", i64::from(!chance(&mut rng, 0.1)).into()),
            ])
        })
        .collect();
    (records, of_company)
}

/// Configuration items, and for each company (by index) the ids and names of its CIs.
fn configuration_items(
    seed: u64,
    n: usize,
    companies: &[Company],
) -> (Vec<Record>, Vec<Vec<(i64, String)>>) {
    let mut rng = stream(seed, "autotask.configuration_items");
    let mut of_company = vec![Vec::new(); companies.len()];
    let owners = client_sampler(&mut rng, companies, 0.05);
    let start = rng.i64(1..=20);
    let ids = sparse_ids(&mut rng, n, start, 3);
    let mut namer = HostNamer::default();
    let records = ids
        .into_iter()
        .map(|id| {
            let ci = owners.pick(&mut rng);
            let c = &companies[ci];
            let role = Role::mixed(&mut rng);
            let title = namer.name(&mut rng, &c.business.initials(), role);
            of_company[ci].push((id, title.clone()));
            let model = hardware::model(&mut rng, role);
            let installed = dates::between(&mut rng, START, NOW);
            record([
                ("id", id.into()),
                ("companyID", c.id.into()),
                ("referenceTitle", title.into()),
                (
                    "serialNumber",
                    hardware::serial(&mut rng, model.manufacturer).into(),
                ),
                ("isActive", (!chance(&mut rng, 0.08)).into()),
                ("configurationItemType", role.ci_type().into()),
                (
                    "installDate",
                    dates::iso(installed - installed % 86_400).into(),
                ),
            ])
        })
        .collect();
    (records, of_company)
}

/// Ticket subjects; `{who}` is a person, `{ci}` a configuration item when the ticket has one.
const TITLES_PLAIN: &[&str] = &[
    "Printer not working at front desk",
    "Cannot connect to VPN",
    "Outlook keeps asking for password",
    "Computer very slow after update",
    "Install Adobe Acrobat Pro",
    "Email not syncing on phone",
    "Wi-Fi dropping in conference room",
    "Quote request: three new laptops",
    "Monthly maintenance",
    "Phishing email reported",
    "Scanner to email not working",
    "Shared drive access request",
    "New employee onboarding - {who}",
    "Password reset for {who}",
    "Employee offboarding - {who}",
];
const TITLES_CI: &[&str] = &[
    "Backup failed on {ci}",
    "Low disk space on {ci}",
    "{ci} offline",
    "Windows updates failing on {ci}",
    "Replace battery in {ci}",
];

fn tickets(
    seed: u64,
    n: usize,
    companies: &[Company],
    contacts_of: &[Vec<i64>],
    cis_of: &[Vec<(i64, String)>],
) -> Vec<Record> {
    let mut rng = stream(seed, "autotask.tickets");
    let owners = client_sampler(&mut rng, companies, 0.03);
    let start = rng.i64(1..=20);
    let ids = sparse_ids(&mut rng, n, start, 3);
    // Tickets are numbered per day in creation order: T20261101.0001, .0002, ...
    let created = dates::sorted_between(&mut rng, n, START, NOW);
    let mut day = String::new();
    let mut seq = 0u32;
    ids.into_iter()
        .zip(created)
        .map(|(id, created)| {
            let ci = owners.pick(&mut rng);
            let today = dates::compact_date(created);
            if today != day {
                day = today;
                seq = 0;
            }
            seq += 1;
            let contact = pick_some(&mut rng, &contacts_of[ci], 0.8);
            let item = pick_some(&mut rng, &cis_of[ci], 0.45);
            let title = match &item {
                Some((_, name)) => pick(&mut rng, TITLES_CI).replace("{ci}", name),
                None => {
                    let who = Person::random(&mut rng).full_name();
                    pick(&mut rng, TITLES_PLAIN).replace("{who}", &who)
                }
            };
            // Old tickets are nearly all closed; recent ones are still being worked.
            let recent = NOW - created < 14 * 86_400;
            let status: i64 = if recent || chance(&mut rng, 0.07) {
                // New, In Progress, Waiting Customer, Complete.
                [1, 8, 7, 5][weighted_index(&mut rng, &[30, 35, 15, 20])]
            } else {
                5
            };
            let completed = (status == 5).then(|| {
                let done = dates::between(&mut rng, created + 600, created + 10 * 86_400);
                dates::iso_millis(done.min(NOW), rng.u32(..1000))
            });
            let assigned = (status != 1).then(|| *pick(&mut rng, RESOURCES));
            record([
                ("id", id.into()),
                ("companyID", companies[ci].id.into()),
                ("ticketNumber", format!("T{day}.{seq:04}").into()),
                ("title", title.into()),
                ("status", status.into()),
                // High, Medium, Low, Critical.
                (
                    "priority",
                    [1i64, 2, 3, 4][weighted_index(&mut rng, &[15, 55, 25, 5])].into(),
                ),
                ("queueID", (*pick(&mut rng, QUEUES)).into()),
                ("contactID", contact.into()),
                ("configurationItemID", item.map(|(id, _)| id).into()),
                ("assignedResourceID", assigned.into()),
                (
                    "createDate",
                    dates::iso_millis(created, rng.u32(..1000)).into(),
                ),
                ("completedDate", completed.into()),
            ])
        })
        .collect()
}

/// One of `items` with probability `p` (never when `items` is empty).
fn pick_some<T: Clone>(rng: &mut Rng, items: &[T], p: f64) -> Option<T> {
    if items.is_empty() || !chance(rng, p) {
        None
    } else {
        Some(pick(rng, items).clone())
    }
}
