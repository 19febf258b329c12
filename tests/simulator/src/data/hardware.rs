//! Machines: what kind of device a record is, its host name ("HD-FRONTDESK-01",
//! "NW-WS-0042", "PFL-SRV-DC01"), its make, model, serial number and operating system.
//!
//! Shared by VSA X devices and assets, VSA 9 agents and Autotask configuration items so the
//! three products describe machines the same way.

use std::collections::HashMap;

use fastrand::Rng;

use super::rng::{pick, weighted_index};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Workstation,
    Laptop,
    Server,
    /// A desktop named after where it stands (front desk, reception, x-ray room).
    Station,
    /// Phones and tablets: MDM-enrolled, no agent.
    Mobile,
}

impl Role {
    /// A role for a machine in a group called `group` (any case): groups named after a
    /// machine kind hold that kind; others hold the usual office mix.
    pub fn for_group(rng: &mut Rng, group: &str) -> Role {
        let g = group.to_ascii_lowercase();
        if g.contains("server") {
            return Role::Server;
        }
        if g.contains("laptop") || g.contains("remote") {
            return Role::Laptop;
        }
        if g.contains("front") || g.contains("reception") || g.contains("kiosk") {
            return Role::Station;
        }
        Role::mixed(rng)
    }

    /// The usual office mix.
    pub fn mixed(rng: &mut Rng) -> Role {
        const ROLES: [Role; 5] = [
            Role::Workstation,
            Role::Laptop,
            Role::Server,
            Role::Station,
            Role::Mobile,
        ];
        ROLES[weighted_index(rng, &[58, 20, 8, 10, 4])]
    }

    /// VSA X asset type / Autotask CI type label.
    pub fn asset_type(self) -> &'static str {
        match self {
            Role::Workstation | Role::Station => "Workstation",
            Role::Laptop => "Laptop",
            Role::Server => "Server",
            Role::Mobile => "Mobile Device",
        }
    }

    /// Autotask `configurationItemType` picklist value (tenant-defined in real Autotask;
    /// these are the simulator's fixed choices).
    pub fn ci_type(self) -> i64 {
        match self {
            Role::Workstation | Role::Station => 1,
            Role::Server => 2,
            Role::Laptop => 3,
            Role::Mobile => 4,
        }
    }
}

/// Hands out host names unique across everything it has named: one counter per prefix
/// ("HD-WS-", "PFL-SRV-DC"), so two organizations with the same initials never clash.
#[derive(Default)]
pub struct HostNamer {
    next: HashMap<String, u32>,
}

impl HostNamer {
    pub fn name(&mut self, rng: &mut Rng, initials: &str, role: Role) -> String {
        let (prefix, width) = match role {
            Role::Workstation => (format!("{initials}-WS-"), 4),
            Role::Laptop => (format!("{initials}-LT-"), 3),
            Role::Server => {
                let kind = pick(rng, &["DC", "FS", "SQL", "APP", "RDS", "HV", "BKP"]);
                (format!("{initials}-SRV-{kind}"), 2)
            }
            Role::Station => {
                let spot = pick(
                    rng,
                    &[
                        "FRONTDESK",
                        "RECEPTION",
                        "ACCT",
                        "HR",
                        "CONF",
                        "XRAY",
                        "LAB",
                        "MGR",
                        "BILLING",
                        "KIOSK",
                        "SHIPPING",
                    ],
                );
                (format!("{initials}-{spot}-"), 2)
            }
            Role::Mobile => {
                let kind = pick(rng, &["IPAD", "IPHONE", "ANDROID"]);
                (format!("{initials}-{kind}-"), 2)
            }
        };
        self.numbered(prefix, width)
    }

    /// "{initials}-{tag}-NN" for equipment without a role: "HD-PRN-01", "NW-FW-02".
    pub fn tagged(&mut self, initials: &str, tag: &str) -> String {
        self.numbered(format!("{initials}-{tag}-"), 2)
    }

    fn numbered(&mut self, prefix: String, width: usize) -> String {
        let counter = self.next.entry(prefix.clone()).or_insert(1);
        let n = *counter;
        *counter += 1;
        format!("{prefix}{n:0width$}")
    }
}

/// Make and model of a machine.
pub struct Model {
    pub manufacturer: &'static str,
    pub model: &'static str,
}

const fn m(manufacturer: &'static str, model: &'static str) -> Model {
    Model {
        manufacturer,
        model,
    }
}

const DESKTOPS: &[Model] = &[
    m("Dell Inc.", "OptiPlex 7010"),
    m("Dell Inc.", "OptiPlex 5000"),
    m("HP", "EliteDesk 800 G6"),
    m("HP", "ProDesk 400 G7"),
    m("LENOVO", "ThinkCentre M70q"),
    m("Apple Inc.", "iMac24,1"),
];
const LAPTOPS: &[Model] = &[
    m("Dell Inc.", "Latitude 5440"),
    m("Dell Inc.", "Latitude 7420"),
    m("HP", "EliteBook 840 G9"),
    m("LENOVO", "ThinkPad T14 Gen 3"),
    m("LENOVO", "ThinkPad X1 Carbon Gen 11"),
    m("Apple Inc.", "MacBookPro18,1"),
];
const SERVERS: &[Model] = &[
    m("Dell Inc.", "PowerEdge R650"),
    m("Dell Inc.", "PowerEdge T350"),
    m("HPE", "ProLiant DL360 Gen10"),
    m("LENOVO", "ThinkSystem SR630"),
    m("Microsoft Corporation", "Virtual Machine"),
    m("VMware, Inc.", "VMware7,1"),
];
const MOBILES: &[Model] = &[
    m("Apple Inc.", "iPad (10th generation)"),
    m("Apple Inc.", "iPhone 14"),
    m("Samsung", "Galaxy Tab S8"),
];

/// Things an MSP tracks as assets that run no agent (VSA X assets beyond the devices).
pub const PERIPHERALS: &[(&str, Model)] = &[
    ("Printer", m("HP", "LaserJet Pro M404dn")),
    ("Printer", m("Brother", "MFC-L8900CDW")),
    ("Network Device", m("Ubiquiti", "UniFi Switch 24 PoE")),
    ("Network Device", m("Cisco", "Meraki MX68")),
    ("Firewall", m("Fortinet", "FortiGate 60F")),
    ("Firewall", m("SonicWall", "TZ370")),
    ("NAS", m("Synology", "DS920+")),
    ("UPS", m("APC", "Smart-UPS 1500")),
];

pub fn model(rng: &mut Rng, role: Role) -> &'static Model {
    match role {
        Role::Workstation | Role::Station => pick(rng, DESKTOPS),
        Role::Laptop => pick(rng, LAPTOPS),
        Role::Server => pick(rng, SERVERS),
        Role::Mobile => pick(rng, MOBILES),
    }
}

/// A serial number in the manufacturer's usual shape (Dell: 7-character service tag,
/// HP: 10 characters, Lenovo: 8, Apple: 12).
pub fn serial(rng: &mut Rng, manufacturer: &str) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let (prefix, len) = match manufacturer {
        "Dell Inc." => ("", 7),
        "HP" | "HPE" => ("5CG", 7),
        "LENOVO" => ("PF", 6),
        "Apple Inc." => ("C02", 9),
        "Microsoft Corporation" | "VMware, Inc." => ("VMW-", 12),
        _ => ("SN", 10),
    };
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    for _ in 0..len {
        s.push(char::from(ALNUM[rng.usize(..ALNUM.len())]));
    }
    s
}

/// An operating system as VSA 9 reports it: (`OSType`, `OSInfo`, warehouse `OperatingSystem`).
pub fn os(rng: &mut Rng, role: Role, model: &Model) -> (&'static str, &'static str, &'static str) {
    const SERVER_OS: &[(&str, &str, &str)] = &[
        (
            "2019",
            "Standard x64 Edition Build 17763",
            "Microsoft Windows Server 2019 Standard",
        ),
        (
            "2022",
            "Standard x64 Edition Build 20348",
            "Microsoft Windows Server 2022 Standard",
        ),
        (
            "2016",
            "Standard x64 Edition Build 14393",
            "Microsoft Windows Server 2016 Standard",
        ),
        ("Linux", "Ubuntu 22.04.4 LTS", "Ubuntu 22.04.4 LTS"),
    ];
    const DESKTOP_OS: &[(&str, &str, &str)] = &[
        (
            "11",
            "Professional x64 Edition Build 22631",
            "Microsoft Windows 11 Pro",
        ),
        (
            "11",
            "Professional x64 Edition Build 26100",
            "Microsoft Windows 11 Pro",
        ),
        (
            "10",
            "Professional x64 Edition Build 19045",
            "Microsoft Windows 10 Pro",
        ),
    ];
    const MAC_OS: &[(&str, &str, &str)] = &[
        (
            "Mac OS X",
            "Version 14.5 (Build 23F79)",
            "macOS Sonoma 14.5",
        ),
        (
            "Mac OS X",
            "Version 15.1 (Build 24B83)",
            "macOS Sequoia 15.1",
        ),
    ];
    const MOBILE_OS: &[(&str, &str, &str)] = &[
        ("iOS", "Version 17.5", "iOS 17.5"),
        ("Android", "Version 14", "Android 14"),
    ];
    let table = match role {
        Role::Server => SERVER_OS,
        Role::Mobile => MOBILE_OS,
        _ if model.manufacturer == "Apple Inc." => MAC_OS,
        _ => DESKTOP_OS,
    };
    *pick(rng, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_count_per_prefix() {
        let mut rng = Rng::with_seed(1);
        let mut namer = HostNamer::default();
        assert_eq!(namer.name(&mut rng, "NW", Role::Workstation), "NW-WS-0001");
        assert_eq!(namer.name(&mut rng, "NW", Role::Workstation), "NW-WS-0002");
        assert_eq!(namer.name(&mut rng, "HD", Role::Laptop), "HD-LT-001");
        let server = namer.name(&mut rng, "PFL", Role::Server);
        assert!(
            server.starts_with("PFL-SRV-") && server.ends_with("01"),
            "{server}"
        );
    }

    #[test]
    fn serial_shapes() {
        let mut rng = Rng::with_seed(2);
        assert_eq!(serial(&mut rng, "Dell Inc.").len(), 7);
        assert!(serial(&mut rng, "HP").starts_with("5CG"));
    }
}
