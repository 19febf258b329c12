//! Which RMM organizations are also PSA companies.
//!
//! In a real MSP most RMM organizations (about 70%) are clients that also exist in the PSA,
//! usually linked by an integration, and often spelled a little differently on each side.
//! The rest exist only in the RMM (internal labs, trials, clients billed elsewhere).

use std::collections::HashSet;

use super::autotask::Company;
use super::names::{businesses, Business};
use super::rng::stream;

/// Percentage of RMM organizations that exist as PSA companies (rounded to nearest).
const MAPPED_PERCENT: usize = 70;

/// An organization on the RMM side (VSA X organization or VSA 9 org).
pub struct RmmOrg {
    pub business: Business,
    /// The name as the RMM shows it.
    pub name: String,
    /// The PSA company this organization is, when it is one.
    pub psa_id: Option<i64>,
}

/// `n` organizations for the RMM list named `label`; about 70% are `companies` (never the
/// MSP's own company 0; customers before other company types), the rest are businesses the
/// PSA does not know.
pub fn rmm_orgs(seed: u64, label: &str, n: usize, companies: &[Company]) -> Vec<RmmOrg> {
    let mut rng = stream(seed, label);
    let mut customers: Vec<usize> = (1..companies.len())
        .filter(|i| companies[*i].is_customer())
        .collect();
    let mut others: Vec<usize> = (1..companies.len())
        .filter(|i| !companies[*i].is_customer())
        .collect();
    rng.shuffle(&mut customers);
    rng.shuffle(&mut others);
    customers.extend(others);
    let candidates = customers;

    let mapped = ((n * MAPPED_PERCENT + 50) / 100).min(candidates.len());
    let mut slots: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut slots);
    let mut target: Vec<Option<usize>> = vec![None; n];
    for (slot, company) in slots.iter().zip(&candidates).take(mapped) {
        target[*slot] = Some(*company);
    }

    let taken: HashSet<&str> = companies.iter().map(|c| c.business.base.as_str()).collect();
    let mut own_rng = stream(seed, &format!("{label}.unmapped"));
    let mut own = businesses(&mut own_rng, n - mapped, &taken).into_iter();
    let mut name_rng = stream(seed, &format!("{label}.names"));
    let mut out = Vec::with_capacity(n);
    for t in target {
        let org = match t {
            Some(i) => {
                let c = &companies[i];
                RmmOrg {
                    name: c.business.rmm_name(&mut name_rng),
                    business: c.business.clone(),
                    psa_id: Some(c.id),
                }
            }
            None => match own.next() {
                Some(b) => RmmOrg {
                    name: b.psa_name(),
                    business: b,
                    psa_id: None,
                },
                // Unreachable: `own` holds exactly the unmapped count.
                None => break,
            },
        };
        out.push(org);
    }
    out
}
