//! Named sizes for the simulated tenants ("small", "realistic", "large") and per-list
//! overrides such as `vsax.devices=5000`.

use super::Counts;

impl Counts {
    /// Largest count any list accepts: a million records already takes seconds to build.
    pub const MAX: usize = 1_000_000;

    /// Every settable count, as `vendor.list`, in `Counts` field order.
    pub const NAMES: &'static [&'static str] = &[
        "vsax.organizations",
        "vsax.sites",
        "vsax.groups",
        "vsax.devices",
        "vsax.notifications",
        "vsax.assets",
        "vsa9.orgs",
        "vsa9.machine_groups",
        "vsa9.agents",
        "autotask.companies",
        "autotask.contacts",
        "autotask.tickets",
        "autotask.configuration_items",
    ];

    /// Preset names accepted by `preset`.
    pub const PRESETS: &'static [&'static str] = &["small", "realistic", "large"];

    /// "small": a handful of records per list, for fast unit and binding tests.
    /// "realistic": a mid-sized MSP (the default).
    /// "large": over 12,000 records in the main lists, for 10,000-record sync tests.
    pub fn preset(name: &str) -> Option<Counts> {
        match name {
            "small" => Some(Self::small()),
            "realistic" => Some(Self::realistic()),
            "large" => Some(Self::large()),
            _ => None,
        }
    }

    fn small() -> Counts {
        Counts {
            vsax_organizations: 5,
            vsax_sites: 8,
            vsax_groups: 12,
            vsax_devices: 20,
            vsax_notifications: 40,
            vsax_assets: 20,
            vsa9_orgs: 5,
            vsa9_machine_groups: 10,
            vsa9_agents: 20,
            autotask_companies: 30,
            autotask_contacts: 60,
            autotask_tickets: 80,
            autotask_configuration_items: 20,
        }
    }

    fn realistic() -> Counts {
        Counts {
            vsax_organizations: 42,
            vsax_sites: 90,
            vsax_groups: 130,
            vsax_devices: 1_250,
            vsax_notifications: 3_000,
            vsax_assets: 1_250,
            vsa9_orgs: 40,
            vsa9_machine_groups: 120,
            vsa9_agents: 1_100,
            autotask_companies: 1_300,
            autotask_contacts: 3_500,
            autotask_tickets: 6_000,
            autotask_configuration_items: 1_250,
        }
    }

    fn large() -> Counts {
        Counts {
            vsax_organizations: 420,
            vsax_sites: 900,
            vsax_groups: 1_300,
            vsax_devices: 12_500,
            vsax_notifications: 15_000,
            vsax_assets: 12_500,
            vsa9_orgs: 400,
            vsa9_machine_groups: 1_200,
            vsa9_agents: 12_000,
            autotask_companies: 12_500,
            autotask_contacts: 15_000,
            autotask_tickets: 15_000,
            autotask_configuration_items: 12_500,
        }
    }

    /// The count called `name` (one of `NAMES`).
    pub fn get(&self, name: &str) -> Option<usize> {
        // Reuses the one name table in `slot`; a copy of 13 integers is cheaper than a second table.
        let mut copy = self.clone();
        copy.slot(name).map(|v| *v)
    }

    /// Sets the count called `name` (one of `NAMES`) to `value` (at most `MAX`).
    pub fn set(&mut self, name: &str, value: usize) -> Result<(), String> {
        if value > Self::MAX {
            return Err(format!(
                "{name}={value} is too large: the limit is {} records per list",
                Self::MAX
            ));
        }
        match self.slot(name) {
            Some(v) => {
                *v = value;
                Ok(())
            }
            None => Err(format!(
                "unknown count {name:?}; valid names: {}",
                Self::NAMES.join(", ")
            )),
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut usize> {
        Some(match name {
            "vsax.organizations" => &mut self.vsax_organizations,
            "vsax.sites" => &mut self.vsax_sites,
            "vsax.groups" => &mut self.vsax_groups,
            "vsax.devices" => &mut self.vsax_devices,
            "vsax.notifications" => &mut self.vsax_notifications,
            "vsax.assets" => &mut self.vsax_assets,
            "vsa9.orgs" => &mut self.vsa9_orgs,
            "vsa9.machine_groups" => &mut self.vsa9_machine_groups,
            "vsa9.agents" => &mut self.vsa9_agents,
            "autotask.companies" => &mut self.autotask_companies,
            "autotask.contacts" => &mut self.autotask_contacts,
            "autotask.tickets" => &mut self.autotask_tickets,
            "autotask.configuration_items" => &mut self.autotask_configuration_items,
            _ => return None,
        })
    }
}

impl Default for Counts {
    /// The "realistic" preset.
    fn default() -> Counts {
        Counts::realistic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_exist_and_default_is_realistic() {
        for p in Counts::PRESETS {
            assert!(Counts::preset(p).is_some(), "{p}");
        }
        assert_eq!(Counts::preset("realistic"), Some(Counts::default()));
        assert_eq!(Counts::preset("huge"), None);
        let large = Counts::preset("large").unwrap_or_default();
        assert!(large.vsax_devices >= 12_000 && large.autotask_companies >= 12_000);
        assert!(large.vsa9_agents >= 12_000 && large.autotask_tickets >= 12_000);
    }

    #[test]
    fn set_and_get_every_name() {
        let mut c = Counts::default();
        for (i, name) in Counts::NAMES.iter().enumerate() {
            assert_eq!(c.set(name, 1000 + i), Ok(()));
            assert_eq!(c.get(name), Some(1000 + i));
        }
        assert_eq!(c.vsax_organizations, 1000);
        assert_eq!(c.autotask_configuration_items, 1012);
    }

    #[test]
    fn set_rejects_unknown_and_too_large() {
        let mut c = Counts::default();
        let err = c.set("vsax.computers", 3).unwrap_err();
        assert!(err.contains("vsax.devices") && err.contains("autotask.configuration_items"));
        assert!(c.set("vsax.devices", Counts::MAX).is_ok());
        assert!(c.set("vsax.devices", Counts::MAX + 1).is_err());
        assert_eq!(c.vsax_devices, Counts::MAX);
    }
}
