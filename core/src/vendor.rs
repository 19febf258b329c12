//! The products mspkit speaks to.

/// A vendor API. One client talks to one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Kaseya VSA X (VSA 10), REST API v3.
    Vsax,
    /// Kaseya VSA 9 REST API v1.0 (session auth).
    Vsa9,
    /// Kaseya VSA 9 Data Warehouse API (OData v4).
    Vsa9Warehouse,
    /// Autotask PSA REST API v1.0.
    Autotask,
}

impl Vendor {
    /// The stable identifier used in reports, cursors and exported state.
    pub fn id(self) -> &'static str {
        match self {
            Vendor::Vsax => "vsax",
            Vendor::Vsa9 => "vsa9",
            Vendor::Vsa9Warehouse => "vsa9_warehouse",
            Vendor::Autotask => "autotask",
        }
    }

    /// The product name users know, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Vendor::Vsax => "Kaseya VSA X",
            Vendor::Vsa9 => "Kaseya VSA 9",
            Vendor::Vsa9Warehouse => "Kaseya VSA 9 Data Warehouse",
            Vendor::Autotask => "Autotask PSA",
        }
    }

    /// The vendor with identifier `id`, if any.
    pub fn from_id(id: &str) -> Option<Vendor> {
        [
            Vendor::Vsax,
            Vendor::Vsa9,
            Vendor::Vsa9Warehouse,
            Vendor::Autotask,
        ]
        .into_iter()
        .find(|v| v.id() == id)
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}
