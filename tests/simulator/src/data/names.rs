//! Businesses and people that look real: "Harbor Dental LLC", "Baker & Reyes",
//! jane.doe@harbordental.com, (253) 555-0142.
//!
//! A `Business` is the thing both the RMM and the PSA know about. The PSA records its
//! registered name (`psa_name`); an RMM organization for the same business is often typed
//! slightly differently (`rmm_name`), which is what name-matching code has to cope with.

use std::collections::{HashMap, HashSet};

use fastrand::Rng;

use super::rng::{chance, pick, weighted_index};
use super::words::{City, Country, CITIES, FIRST_NAMES, INDUSTRIES, PLACES, SURNAMES};

/// Legal-form suffixes as they appear after a business name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suffix {
    None,
    Inc,
    IncDot,
    Llc,
    Ltd,
    LtdDot,
    Corp,
    Gmbh,
    AndCo,
    Group,
}

impl Suffix {
    fn text(self) -> &'static str {
        match self {
            Suffix::None => "",
            Suffix::Inc => "Inc",
            Suffix::IncDot => "Inc.",
            Suffix::Llc => "LLC",
            Suffix::Ltd => "Ltd",
            Suffix::LtdDot => "Ltd.",
            Suffix::Corp => "Corp",
            Suffix::Gmbh => "GmbH",
            Suffix::AndCo => "& Co",
            Suffix::Group => "Group",
        }
    }

    /// The same legal form with the other punctuation (Inc <-> Inc.), if it has one.
    fn toggled_dot(self) -> Option<Suffix> {
        match self {
            Suffix::Inc => Some(Suffix::IncDot),
            Suffix::IncDot => Some(Suffix::Inc),
            Suffix::Ltd => Some(Suffix::LtdDot),
            Suffix::LtdDot => Some(Suffix::Ltd),
            _ => None,
        }
    }

    /// Suffixes often written after a comma ("Harbor Dental, LLC", "Acme, Inc.").
    fn takes_comma(self) -> bool {
        matches!(
            self,
            Suffix::Inc | Suffix::IncDot | Suffix::Llc | Suffix::Ltd | Suffix::LtdDot
        )
    }

    /// Which suffixes businesses in a country use, with relative frequencies.
    fn for_country(rng: &mut Rng, country: Country) -> Suffix {
        let table: &[(Suffix, u32)] = match country {
            Country::Us => &[
                (Suffix::None, 26),
                (Suffix::Inc, 12),
                (Suffix::IncDot, 14),
                (Suffix::Llc, 24),
                (Suffix::Corp, 7),
                (Suffix::AndCo, 5),
                (Suffix::Group, 10),
            ],
            Country::Canada => &[
                (Suffix::None, 30),
                (Suffix::Inc, 20),
                (Suffix::IncDot, 15),
                (Suffix::Ltd, 20),
                (Suffix::LtdDot, 10),
                (Suffix::Corp, 5),
            ],
            Country::Uk => &[
                (Suffix::None, 30),
                (Suffix::Ltd, 35),
                (Suffix::LtdDot, 25),
                (Suffix::Group, 10),
            ],
            Country::Germany => &[(Suffix::Gmbh, 80), (Suffix::Group, 10), (Suffix::None, 10)],
        };
        let weights: Vec<u32> = table.iter().map(|(_, w)| *w).collect();
        table[weighted_index(rng, &weights)].0
    }
}

/// A client business of the MSP.
#[derive(Clone, Debug)]
pub struct Business {
    /// The name without legal suffix, unique within its list ("Harbor Dental").
    pub base: String,
    pub suffix: Suffix,
    pub city: &'static City,
    /// Top-level domain of the business's web site and email addresses.
    tld: &'static str,
}

fn join(base: &str, suffix: Suffix, comma: bool) -> String {
    match (suffix, comma) {
        (Suffix::None, _) => base.to_owned(),
        (_, true) => format!("{base}, {}", suffix.text()),
        (_, false) => format!("{base} {}", suffix.text()),
    }
}

/// Words of a base name that carry meaning (no "&" or "of").
fn significant_words(base: &str) -> impl Iterator<Item = &str> {
    base.split_whitespace().filter(|w| *w != "&" && *w != "of")
}

impl Business {
    /// The MSP itself: Autotask's company 0.
    pub fn owner(rng: &mut Rng) -> Business {
        Business {
            base: "Your MSP".to_owned(),
            suffix: Suffix::None,
            city: pick(rng, CITIES),
            tld: ".com",
        }
    }

    /// The name as registered in the PSA: "Harbor Dental LLC".
    pub fn psa_name(&self) -> String {
        join(&self.base, self.suffix, false)
    }

    /// The name as someone typed it into an RMM: usually the same business but, about half
    /// the time, with a different suffix or punctuation ("Harbor Dental, LLC", "Harbor Dental").
    pub fn rmm_name(&self, rng: &mut Rng) -> String {
        if chance(rng, 0.45) {
            return self.psa_name();
        }
        let mut options: Vec<String> = Vec::with_capacity(4);
        if self.suffix != Suffix::None {
            options.push(self.base.clone());
        }
        if self.suffix.takes_comma() {
            options.push(join(&self.base, self.suffix, true));
        }
        if let Some(other) = self.suffix.toggled_dot() {
            options.push(join(&self.base, other, false));
        }
        if self.base.contains(" & ") {
            options.push(join(&self.base.replace(" & ", " and "), self.suffix, false));
        }
        if options.is_empty() {
            return self.psa_name();
        }
        let i = rng.usize(..options.len());
        options.swap_remove(i)
    }

    /// Upper-case initials for host names: "Pinecrest Family Law" -> "PFL" (at most 4).
    pub fn initials(&self) -> String {
        significant_words(&self.base)
            .filter_map(|w| w.chars().find(|c| c.is_ascii_alphanumeric()))
            .map(|c| c.to_ascii_uppercase())
            .take(4)
            .collect()
    }

    /// Lowercase letters and digits of the base name: "Baker & Reyes" -> "bakerreyes".
    pub fn slug(&self) -> String {
        self.short_slug(usize::MAX)
    }

    /// The slug cut at a word boundary to at most `max` characters (but never shorter than
    /// the first word): "Old Mill Pediatric Dentistry" -> "oldmillpediatric" for 20.
    pub fn short_slug(&self, max: usize) -> String {
        let mut out = String::new();
        for word in significant_words(&self.base) {
            let w: String = word
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if !out.is_empty() && out.len() + w.len() > max {
                break;
            }
            out.push_str(&w);
        }
        out
    }

    /// "harbordental.com".
    pub fn domain(&self) -> String {
        format!("{}{}", self.slug(), self.tld)
    }

    /// A main-line phone number in the business's city. US and Canadian numbers use the
    /// 555-01xx range reserved for fiction; UK numbers use Ofcom's drama range.
    pub fn phone(&self, rng: &mut Rng) -> String {
        let area = self.city.area;
        match self.city.country {
            Country::Us | Country::Canada => format!("({area}) 555-01{:02}", rng.u32(..100)),
            Country::Uk => format!("+44 {area} 496 0{:03}", rng.u32(..1000)),
            Country::Germany => format!("+49 {area} 5550 {:04}", rng.u32(..10_000)),
        }
    }
}

/// A person at a business.
pub struct Person {
    pub first: &'static str,
    pub last: &'static str,
}

impl Person {
    pub fn random(rng: &mut Rng) -> Person {
        Person {
            first: FIRST_NAMES[rng.usize(..FIRST_NAMES.len())],
            last: SURNAMES[rng.usize(..SURNAMES.len())],
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }

    /// "first.last@domain", lowercase, apostrophes dropped (O'Brien -> obrien).
    pub fn email(&self, domain: &str) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        format!("{}.{}@{domain}", clean(self.first), clean(self.last))
    }
}

/// One candidate base name from the three common naming patterns.
fn candidate(rng: &mut Rng) -> String {
    match weighted_index(rng, &[60, 28, 12]) {
        0 => format!("{} {}", pick(rng, PLACES), pick(rng, INDUSTRIES)),
        1 => format!("{} {}", pick(rng, SURNAMES), pick(rng, INDUSTRIES)),
        _ => {
            let a = pick(rng, SURNAMES);
            let mut b = pick(rng, SURNAMES);
            while b == a {
                b = pick(rng, SURNAMES);
            }
            format!("{a} & {b}")
        }
    }
}

/// How many fresh names to draw after a clash before qualifying the name instead.
const REDRAWS: usize = 4;

/// `n` businesses whose base names are unique among themselves and absent from `taken`.
///
/// Generated one after another from `rng`, so the first k businesses do not depend on n.
/// A clash is broken deterministically: a few fresh draws first (so "of Tacoma" names stay
/// rare at realistic sizes), then "Harbor Dental of Tacoma" (the business's own city), then
/// "Harbor Dental 2", "Harbor Dental 3", ... (a counter per name keeps this O(1) even at a
/// million records).
pub fn businesses(rng: &mut Rng, n: usize, taken: &HashSet<&str>) -> Vec<Business> {
    let mut seen: HashSet<String> = HashSet::with_capacity(n);
    let mut next_number: HashMap<String, u32> = HashMap::new();
    let free = |s: &str, seen: &HashSet<String>| !seen.contains(s) && !taken.contains(s);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let city: &'static City = pick(rng, CITIES);
        let suffix = Suffix::for_country(rng, city.country);
        let mut first = candidate(rng);
        for _ in 0..REDRAWS {
            if free(&first, &seen) {
                break;
            }
            first = candidate(rng);
        }
        let base = if free(&first, &seen) {
            first
        } else {
            let with_city = format!("{first} of {}", city.name);
            if free(&with_city, &seen) {
                with_city
            } else {
                let counter = next_number.entry(first.clone()).or_insert(2);
                loop {
                    let numbered = format!("{first} {counter}");
                    *counter += 1;
                    if free(&numbered, &seen) {
                        break numbered;
                    }
                }
            }
        };
        // "Baker & Reyes & Co" reads wrong; partnerships keep no "& Co".
        let suffix = if suffix == Suffix::AndCo && base.contains(" & ") {
            Suffix::None
        } else {
            suffix
        };
        let tld = match city.country {
            Country::Us if chance(rng, 0.12) => ".net",
            Country::Us => ".com",
            Country::Canada => ".ca",
            Country::Uk => ".co.uk",
            Country::Germany => ".de",
        };
        seen.insert(base.clone());
        out.push(Business {
            base,
            suffix,
            city,
            tld,
        });
    }
    out
}

/// Names unique within a scope (an organization, a site, a parent group): a repeated name
/// gets a number ("Warehouse 2", "branch2"). Counters make each claim O(1).
pub struct ScopedNames<S> {
    used: HashSet<(S, String)>,
    next: HashMap<(S, String), u32>,
    separator: &'static str,
}

impl<S: std::hash::Hash + Eq + Copy> ScopedNames<S> {
    pub fn new(separator: &'static str) -> ScopedNames<S> {
        ScopedNames {
            used: HashSet::new(),
            next: HashMap::new(),
            separator,
        }
    }

    /// `wanted` if it is still free in `scope`, else the first free numbered form.
    pub fn claim(&mut self, scope: S, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        if self.used.contains(&(scope, name.clone())) {
            let counter = self.next.entry((scope, wanted.to_owned())).or_insert(2);
            loop {
                name = format!("{wanted}{}{counter}", self.separator);
                *counter += 1;
                if !self.used.contains(&(scope, name.clone())) {
                    break;
                }
            }
        }
        self.used.insert((scope, name.clone()));
        name
    }
}

/// Name-matching key used by the tests: lowercase, "&" as "and", punctuation and a trailing
/// legal suffix dropped. Two names with the same key are "the same business".
#[cfg(test)]
pub fn match_key(name: &str) -> String {
    let lowered = name.to_lowercase().replace('&', " and ");
    let cleaned: String = lowered
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while let Some(last) = words.last().copied() {
        if !["inc", "llc", "ltd", "corp", "gmbh", "group", "co"].contains(&last) {
            break;
        }
        words.pop();
        if last == "co" && words.last() == Some(&"and") {
            words.pop();
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(base: &str, suffix: Suffix) -> Business {
        Business {
            base: base.to_owned(),
            suffix,
            city: &CITIES[0],
            tld: ".com",
        }
    }

    #[test]
    fn formats() {
        let b = sample("Pinecrest Family Law", Suffix::Llc);
        assert_eq!(b.psa_name(), "Pinecrest Family Law LLC");
        assert_eq!(b.initials(), "PFL");
        assert_eq!(b.domain(), "pinecrestfamilylaw.com");
        assert_eq!(b.short_slug(12), "pinecrest");
        assert_eq!(b.short_slug(16), "pinecrestfamily");
        assert_eq!(sample("Baker & Reyes", Suffix::None).initials(), "BR");
        let p = Person {
            first: "Sean",
            last: "O'Brien",
        };
        assert_eq!(p.email("x.com"), "sean.obrien@x.com");
    }

    #[test]
    fn rmm_variants_keep_the_match_key() {
        let mut rng = Rng::with_seed(9);
        for (base, suffix) in [
            ("Harbor Dental", Suffix::Llc),
            ("Baker & Reyes", Suffix::IncDot),
            ("Summit Logistics", Suffix::AndCo),
            ("Northwind Foods", Suffix::None),
        ] {
            let b = sample(base, suffix);
            for _ in 0..50 {
                assert_eq!(match_key(&b.rmm_name(&mut rng)), match_key(&b.psa_name()));
            }
        }
        assert_eq!(match_key("Harbor Dental, LLC"), "harbor dental");
        assert_eq!(match_key("Summit Logistics & Co"), "summit logistics");
    }

    #[test]
    fn businesses_unique_and_prefix_stable() {
        let taken: HashSet<&str> = ["Harbor Dental"].into();
        let many = businesses(&mut Rng::with_seed(1), 20_000, &taken);
        let few = businesses(&mut Rng::with_seed(1), 100, &taken);
        let bases: HashSet<&str> = many.iter().map(|b| b.base.as_str()).collect();
        assert_eq!(bases.len(), many.len());
        assert!(!bases.contains("Harbor Dental"));
        let names: HashSet<String> = many.iter().map(Business::psa_name).collect();
        assert_eq!(names.len(), many.len());
        for (a, b) in few.iter().zip(&many) {
            assert_eq!(a.psa_name(), b.psa_name());
        }
    }

    #[test]
    fn scoped_names_number_repeats() {
        let mut names = ScopedNames::new(" ");
        assert_eq!(names.claim(1, "Warehouse"), "Warehouse");
        assert_eq!(names.claim(1, "Warehouse"), "Warehouse 2");
        assert_eq!(names.claim(2, "Warehouse"), "Warehouse");
        assert_eq!(names.claim(1, "Warehouse 3"), "Warehouse 3");
        assert_eq!(names.claim(1, "Warehouse"), "Warehouse 4");
    }
}
