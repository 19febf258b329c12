//! Seeded randomness: one independent stream per list, and the few sampling helpers the
//! generators share.
//!
//! Each list gets its own `fastrand::Rng` derived from the dataset seed and a label, so
//! changing one count (say `vsax.devices`) does not move any other list's draws.

use fastrand::Rng;

/// SplitMix64 finaliser: spreads a 64-bit input over all output bits, so that seeds
/// differing in one bit (or labels differing in one letter) give unrelated streams.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sub-seed for the stream named `label` (FNV-1a of the label, mixed with the seed).
pub fn sub_seed(seed: u64, label: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    mix(seed ^ mix(h))
}

/// A fresh generator for the stream named `label`.
pub fn stream(seed: u64, label: &str) -> Rng {
    Rng::with_seed(sub_seed(seed, label))
}

/// One element of a non-empty constant list.
pub fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// True with probability `p`.
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.f64() < p
}

/// An index drawn with the given relative weights (the weights must not all be zero).
pub fn weighted_index(rng: &mut Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.u32(..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// A lowercase version-4 style GUID, as VSA X returns device identifiers.
pub fn guid(rng: &mut Rng) -> String {
    let hi = rng.u64(..);
    let lo = rng.u64(..);
    // Version nibble 4 and variant bits 10xx, so the value parses as a v4 UUID.
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// Increasing ids with random gaps: real tenants delete records and share id sequences
/// between record kinds, so ids are never a dense 1..n and paging by id must cope.
pub fn sparse_ids(rng: &mut Rng, n: usize, start: i64, max_step: i64) -> Vec<i64> {
    let mut next = start;
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(next);
        next += rng.i64(1..=max_step);
    }
    ids
}

/// Heavy-tailed sampler over `n` parents: a few organizations own most devices, tickets
/// and contacts, as in a real MSP's book of business. Sampling is O(log n).
pub struct Skewed {
    cumulative: Vec<f64>,
}

impl Skewed {
    /// Random heavy-tailed weights, multiplied by `scale[i]` when given (0 excludes a parent).
    pub fn new(rng: &mut Rng, n: usize, scale: Option<&[f64]>) -> Skewed {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(n);
        for i in 0..n {
            // Pareto-like weight in [1, 20]: most parents small, a few large.
            let u = rng.f64();
            let w = 1.0 / (1.0 - u * 0.95);
            total += w * scale.map_or(1.0, |s| s[i]);
            cumulative.push(total);
        }
        Skewed { cumulative }
    }

    /// An index in 0..n (0 when every weight is zero).
    pub fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return 0;
        }
        let x = rng.f64() * total;
        let i = self.cumulative.partition_point(|c| *c <= x);
        i.min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_seeds_differ_by_label_and_seed() {
        assert_ne!(sub_seed(1, "vsax.devices"), sub_seed(1, "vsax.sites"));
        assert_ne!(sub_seed(1, "vsax.devices"), sub_seed(2, "vsax.devices"));
        assert_eq!(sub_seed(7, "x"), sub_seed(7, "x"));
    }

    #[test]
    fn guid_has_uuid_shape() {
        let g = guid(&mut Rng::with_seed(3));
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(g.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(g, g.to_lowercase());
    }

    #[test]
    fn sparse_ids_increase() {
        let ids = sparse_ids(&mut Rng::with_seed(1), 1000, 0, 3);
        assert_eq!(ids[0], 0);
        assert!(ids.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 3));
    }

    #[test]
    fn skewed_respects_zero_scale() {
        let mut rng = Rng::with_seed(5);
        let s = Skewed::new(&mut rng, 4, Some(&[0.0, 1.0, 0.0, 1.0]));
        for _ in 0..200 {
            let i = s.pick(&mut rng);
            assert!(i == 1 || i == 3);
        }
    }
}
