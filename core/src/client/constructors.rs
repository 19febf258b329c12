//! The four constructors: each checks its input and fails before anything is sent.

use super::*;

impl Client {
    /// A Kaseya VSA X client. `tenant_url` is what the user pasted (`acme.vsax.net`,
    /// `https://acme.vsax.net/api/v3/`, ...).
    pub fn vsax(
        tenant_url: &str,
        token_id: &str,
        token_secret: &str,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsax;
        let base = normalize_tenant_url(vendor, tenant_url, options.allow_insecure_loopback)?;
        let id = check_basic_user("token_id", token_id, vendor)?;
        let secret = check_field("token_secret", token_secret, vendor)?;
        let credentials = Credentials::Basic {
            authorization: Secret::new(basic_credentials(&id, &secret)),
            secret: Secret::new(secret),
        };
        Client::build(vendor, credentials, Access::Static { base }, options)
    }

    /// A Kaseya VSA 9 REST client. `token` is the personal access token (`Vsa9Auth::Pat`)
    /// or the password (`Vsa9Auth::Password`).
    pub fn vsa9(
        server_url: &str,
        username: &str,
        token: &str,
        auth: Vsa9Auth,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsa9;
        let base = normalize_tenant_url(vendor, server_url, options.allow_insecure_loopback)?;
        let username = check_basic_user("username", username, vendor)?;
        let token_name = match auth {
            Vsa9Auth::Pat => "token",
            Vsa9Auth::Password { .. } => "password",
        };
        let token = check_field(token_name, token, vendor)?;
        let credentials = Credentials::Vsa9 {
            username,
            token: Secret::new(token),
            auth,
            logons: 0,
        };
        let access = Access::Session {
            base,
            state: SessionState::None,
        };
        Client::build(vendor, credentials, access, options)
    }

    /// A Kaseya VSA 9 Data Warehouse client (token with the "Data Warehouse API" scope).
    pub fn vsa9_warehouse(
        server_url: &str,
        username: &str,
        token: &str,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Vsa9Warehouse;
        let base = normalize_tenant_url(vendor, server_url, options.allow_insecure_loopback)?;
        let username = check_basic_user("username", username, vendor)?;
        let token = check_field("token", token, vendor)?;
        let credentials = Credentials::Basic {
            authorization: Secret::new(basic_credentials(&username, &token)),
            secret: Secret::new(token),
        };
        Client::build(vendor, credentials, Access::Static { base }, options)
    }

    /// An Autotask PSA client. Without `zone_url` the first request discovers the zone.
    pub fn autotask(
        username: &str,
        secret: &str,
        integration_code: &str,
        zone_url: Option<&str>,
        impersonation_resource_id: Option<u64>,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let vendor = Vendor::Autotask;
        let username = check_field("username", username, vendor)?;
        let secret = check_field("secret", secret, vendor)?;
        let integration_code = check_field("integration_code", integration_code, vendor)?;
        let loopback = options.allow_insecure_loopback;
        let discovery_url = validate_zone_discovery_url(
            options
                .zone_discovery_url
                .as_deref()
                .unwrap_or(DEFAULT_ZONE_DISCOVERY_URL),
            loopback,
        )?;
        let known = match zone_url.map(str::trim).filter(|z| !z.is_empty()) {
            Some(z) => Some((
                normalize_autotask_zone_url(z, loopback, UrlSource::User)?,
                ZoneOrigin::Configured,
            )),
            None => None,
        };
        let credentials = Credentials::Autotask {
            username,
            secret: Secret::new(secret),
            integration_code: Secret::new(integration_code),
            impersonation_resource_id,
        };
        let access = Access::Zone(ZoneState {
            known,
            pending: false,
            discovery_url,
        });
        Client::build(vendor, credentials, access, options)
    }

    fn build(
        vendor: Vendor,
        credentials: Credentials,
        access: Access,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        options.pacing.check()?;
        let mut redactor = Redactor::default();
        credentials.register(&mut redactor);
        let pacer = Pacer::new(vendor, &options.pacing, options.jitter_seed);
        Ok(Client {
            pacer,
            vendor,
            credentials,
            access,
            options,
            redactor,
            jobs: BTreeMap::new(),
            in_flight: HashMap::new(),
            events: VecDeque::new(),
            next_job: 1,
            next_request: 1,
            last_served: 0,
            tenant_usage_pending: false,
            prerequisite_attempts: None,
        })
    }
}
