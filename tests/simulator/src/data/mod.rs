//! The simulator's tenants: deterministic, seeded records for every list it serves.
//!
//! Each list is a `Vec<Record>` in the shape the vendor returns in list form (VENDORS.md),
//! sorted by its id ascending. The same seed and counts always give the same data, so tests
//! can assert exact counts and contents.
//!
//! The three products describe one MSP: about 70% of the VSA X organizations and of the
//! VSA 9 orgs are also Autotask companies (often spelled slightly differently), and VSA X
//! organizations carry the Autotask company id in `PsaMappingId`.
//!
//! Every list draws from its own seeded stream (`rng::stream`), so changing one count leaves
//! the lists that do not depend on it untouched. A list whose parent list is empty (devices
//! without groups, contacts without companies) is generated empty, since each foreign key
//! must point at an existing record.

mod autotask;
mod counts;
mod dates;
mod hardware;
mod mapping;
mod names;
mod rng;
mod vsa9;
mod vsax;
mod words;

#[cfg(test)]
mod tests;

/// One JSON object as the vendor sends it.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// How many records each list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub vsax_organizations: usize,
    pub vsax_sites: usize,
    pub vsax_groups: usize,
    pub vsax_devices: usize,
    pub vsax_notifications: usize,
    pub vsax_assets: usize,
    pub vsa9_orgs: usize,
    pub vsa9_machine_groups: usize,
    pub vsa9_agents: usize,
    pub autotask_companies: usize,
    pub autotask_contacts: usize,
    pub autotask_tickets: usize,
    pub autotask_configuration_items: usize,
}

/// Every list of every simulated product.
pub struct Dataset {
    pub vsax: VsaxData,
    pub vsa9: Vsa9Data,
    pub autotask: AutotaskData,
}

/// Kaseya VSA X lists (PascalCase fields).
pub struct VsaxData {
    pub organizations: Vec<Record>,
    pub sites: Vec<Record>,
    pub groups: Vec<Record>,
    pub devices: Vec<Record>,
    /// GET /notifications form: `DateTime` is a Unix integer (seconds).
    pub notifications: Vec<Record>,
    /// For each notification (same index), the index in `devices` it belongs to.
    pub notification_device: Vec<usize>,
    pub assets: Vec<Record>,
}

/// Kaseya VSA 9 lists: REST (PascalCase) and Data Warehouse entity sets.
pub struct Vsa9Data {
    pub orgs: Vec<Record>,
    pub machine_groups: Vec<Record>,
    pub agents: Vec<Record>,
    /// Data Warehouse entity sets (OData field names).
    pub warehouse_agents: Vec<Record>,
    pub warehouse_machine_groups: Vec<Record>,
}

/// Autotask PSA entities (camelCase fields).
pub struct AutotaskData {
    pub companies: Vec<Record>,
    pub contacts: Vec<Record>,
    pub tickets: Vec<Record>,
    pub configuration_items: Vec<Record>,
}

/// The simulated tenants for `seed`, sized by `counts`. Deterministic: the same arguments
/// always give the same records in the same order.
pub fn generate(seed: u64, counts: &Counts) -> Dataset {
    // Autotask companies come first: the RMM organizations map onto them.
    let companies = autotask::companies(seed, counts.autotask_companies);
    Dataset {
        vsax: vsax::generate(seed, counts, &companies),
        vsa9: vsa9::generate(seed, counts, &companies),
        autotask: autotask::generate(seed, counts, &companies),
    }
}

/// How many children to generate: none when the parent list is empty, since each child's
/// foreign key must point at an existing parent.
fn child_count(parents: usize, wanted: usize) -> usize {
    if parents == 0 {
        0
    } else {
        wanted
    }
}

/// A record from (field, value) pairs, in the generators' compact literal form.
fn record<const N: usize>(fields: [(&str, serde_json::Value); N]) -> Record {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
