//! The credentials the simulator accepts, generated from the seed (and the sentinel, so
//! leak scans can look for it), and the JSON line that hands them to scripts.

use serde::Serialize;

/// Accepted credentials. The `limited` ones authenticate but lack access to `denied`
/// resources (VSA X 403, VSA 9 403, Autotask's 500 "adequate permissions").
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub vsax: VsaxCredentials,
    pub vsa9: Vsa9Credentials,
    pub autotask: AutotaskCredentials,
}

#[derive(Debug, Clone, Serialize)]
pub struct VsaxCredentials {
    pub token_id: String,
    pub token_secret: String,
    pub limited: VsaxLimited,
}

#[derive(Debug, Clone, Serialize)]
pub struct VsaxLimited {
    pub token_id: String,
    pub token_secret: String,
    pub denied: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vsa9Credentials {
    pub username: String,
    /// Personal access token with both scopes (REST API and Data Warehouse API), so the
    /// Data Warehouse accepts it as well as `warehouse_token` (a Data-Warehouse-only token).
    pub token: String,
    /// For legacy password auth.
    pub password: String,
    pub warehouse_token: String,
    pub limited: Vsa9Limited,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vsa9Limited {
    pub username: String,
    /// REST scope only (no Data Warehouse), and no access to `denied`.
    pub token: String,
    pub denied: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutotaskCredentials {
    pub username: String,
    pub secret: String,
    pub integration_code: String,
    pub limited: AutotaskLimited,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutotaskLimited {
    pub username: String,
    pub secret: String,
    pub denied: Vec<String>,
}

impl Credentials {
    pub fn generate(seed: u64, sentinel: Option<&str>) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5EC2_E75E);
        let mut secret = |kind: &str, len: usize| {
            let body: String = (0..len).map(|_| rng.alphanumeric()).collect();
            match sentinel {
                Some(s) => format!("{s}-{kind}-{body}"),
                None => body,
            }
        };
        Credentials {
            vsax: VsaxCredentials {
                token_id: "sim-vsax-token".into(),
                token_secret: secret("vsax", 32),
                limited: VsaxLimited {
                    token_id: "sim-vsax-readonly".into(),
                    token_secret: secret("vsaxro", 32),
                    denied: vec!["organizations".into(), "assets".into()],
                },
            },
            vsa9: Vsa9Credentials {
                username: "sim.admin".into(),
                token: secret("vsa9pat", 32),
                password: secret("vsa9pw", 16),
                warehouse_token: secret("vsa9dw", 32),
                limited: Vsa9Limited {
                    username: "sim.tech".into(),
                    token: secret("vsa9ro", 32),
                    denied: vec!["system/orgs".into()],
                },
            },
            autotask: AutotaskCredentials {
                username: "sim.api@msp-sim.example".into(),
                secret: secret("autotask", 24),
                integration_code: "SIMINTEGRATIONCODE01".into(),
                limited: AutotaskLimited {
                    username: "sim.readonly@msp-sim.example".into(),
                    secret: secret("autotaskro", 24),
                    denied: vec!["Companies".into()],
                },
            },
        }
    }

    /// Every secret value, for the simulator's own leak checks.
    pub fn secrets(&self) -> Vec<&str> {
        vec![
            &self.vsax.token_secret,
            &self.vsax.limited.token_secret,
            &self.vsa9.token,
            &self.vsa9.password,
            &self.vsa9.warehouse_token,
            &self.vsa9.limited.token,
            &self.autotask.secret,
            &self.autotask.limited.secret,
        ]
    }
}

/// The startup line: URLs for this listening address plus the credentials.
pub fn startup_line(credentials: &Credentials, origin: &str) -> serde_json::Value {
    let c = credentials;
    serde_json::json!({
        "vsax": {
            "tenant_url": origin,
            "token_id": c.vsax.token_id,
            "token_secret": c.vsax.token_secret,
            "limited": c.vsax.limited,
        },
        "vsa9": {
            "server_url": origin,
            "username": c.vsa9.username,
            "token": c.vsa9.token,
            "password": c.vsa9.password,
            "warehouse_token": c.vsa9.warehouse_token,
            "limited": c.vsa9.limited,
        },
        "autotask": {
            "zone_discovery_url": format!("{origin}/ATServicesRest/V1.0/zoneInformation"),
            "zone_url": format!("{origin}/ATServicesRest/"),
            "username": c.autotask.username,
            "secret": c.autotask.secret,
            "integration_code": c.autotask.integration_code,
            "limited": c.autotask.limited,
        },
        "stats_url": format!("{origin}/_sim/stats"),
        "reset_url": format!("{origin}/_sim/reset"),
    })
}
