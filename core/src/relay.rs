//! The relay check: may a server forward this request, built by mspkit in a browser, to
//! the tenant it names?
//!
//! A browser page cannot reach most tenants directly (they send no CORS headers), so a
//! small server relays requests for it. A relay that forwards anything it is handed is an
//! open proxy: it would reach the cloud metadata service, the operator's LAN, or any host
//! on the internet with the server's address. This check accepts only requests mspkit
//! itself would build for the chosen vendor: a vendor host (or one the operator allowed),
//! over https, under the vendor's API base path, with mspkit's own headers. Every refusal
//! is [`ErrorCode::UnsafeLink`] and is decided before anything is sent.
//!
//! Host names are checked here; what a name resolves to is the relay's to check when it
//! connects, with [`relay_address_allowed`], so DNS cannot point an allowed name inward.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::truncate_chars;
use crate::request::Method;
use crate::tenant_url::{is_autotask_domain, is_loopback, path_is_under};
use crate::{Error, ErrorCode, Vendor};

/// What the operator of a relay permits beyond the vendors' own domains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayPolicy {
    /// Forward to loopback hosts (over http too): the relay serves a local simulator.
    pub simulator: bool,
    /// Extra hosts: an exact name (`vsa.example.com`) or a suffix with a leading dot
    /// (`.example.com`, which matches subdomains only). On-premises VSA 9 servers need this.
    pub allow_hosts: Vec<String>,
}

/// A request the relay may forward, exactly as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    /// GET or POST.
    pub method: Method,
    /// The URL as parsed (normalised by the URL parser: dot segments resolved).
    pub url: Url,
    /// The request's headers, all of them names mspkit builds.
    pub headers: Vec<(String, String)>,
}

/// Headers mspkit puts on requests; a relay forwards these and refuses any other, so a
/// page cannot make it send cookies, a forged Host or hop-by-hop headers.
const FORWARDED_HEADERS: &[&str] = &[
    "Accept",
    "Authorization",
    "Content-Type",
    "Prefer",
    "ApiIntegrationCode",
    "UserName",
    "Secret",
    "ImpersonationResourceId",
];

/// Longest host or path quoted in a message.
const QUOTE_MAX_CHARS: usize = 80;

const FIX: &str = "Nothing was sent. The relay forwards only requests mspkit builds for the \
     chosen vendor: https to the vendor's API on a vendor host. For an on-premises server, \
     start the relay with --allow-host naming it; for a local simulator, start it in \
     simulator mode.";

/// Domains each vendor's tenants live under (VENDORS.md, "What users paste").
fn vendor_domains(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Vsax => &["vsax.net", "kaseya.net", "kaseya.com"],
        Vendor::Vsa9 | Vendor::Vsa9Warehouse => &["kaseya.net", "kaseya.com"],
        Vendor::Autotask => &["autotask.net"],
    }
}

/// Checks a request a relay was asked to forward; see the module documentation.
///
/// `headers` are the request's headers as the page sent them. The returned target is what
/// to send; on refusal nothing may be sent.
pub fn check_relay_request(
    vendor: Vendor,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    policy: &RelayPolicy,
) -> Result<RelayTarget, Error> {
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => {
            return Err(refuse(format!(
                "a request with the method `{}`; mspkit sends only GET and POST",
                truncate_chars(other, 16)
            )))
        }
    };
    let url = check_url(vendor, url, policy)?;
    let headers = check_headers(headers)?;
    Ok(RelayTarget {
        method,
        url,
        headers,
    })
}

/// True when a relay may connect to `ip` (what an allowed host name resolved to): public
/// unicast addresses only, and loopback in simulator mode.
///
/// Private, link-local (the cloud metadata service at 169.254.169.254), shared, reserved,
/// documentation, multicast and unspecified addresses are refused, for IPv4, IPv6 and
/// IPv4 inside IPv6.
pub fn relay_address_allowed(ip: IpAddr, policy: &RelayPolicy) -> bool {
    if ip.is_loopback() || ip.to_canonical().is_loopback() {
        return policy.simulator;
    }
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19))) // benchmarking
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 maps to IPv4 inside
}

fn check_url(vendor: Vendor, input: &str, policy: &RelayPolicy) -> Result<Url, Error> {
    let url = Url::parse(input.trim())
        .map_err(|e| refuse(format!("a URL that could not be read ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse(format!(
            "a `{}:` URL; only https:// web addresses are relayed",
            truncate_chars(url.scheme(), 16)
        )));
    }
    let host = match url.host() {
        Some(host) => host,
        None => return Err(refuse("a URL without a host".into())),
    };
    let quoted = quote(url.host_str().unwrap_or(""));
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(format!(
            "a URL for {quoted} with a user name or password in it"
        )));
    }
    if url.fragment().is_some() {
        return Err(refuse(format!("a URL for {quoted} with a fragment (#...)")));
    }
    let local = is_loopback(&url);
    if local {
        if !policy.simulator {
            return Err(refuse(format!(
                "the loopback host {quoted}, which is only reachable in simulator mode"
            )));
        }
    } else {
        match host {
            Host::Ipv4(_) | Host::Ipv6(_) => {
                return Err(refuse(format!(
                    "the IP address {quoted}; tenants are reached by host name"
                )))
            }
            Host::Domain(domain) if domain.to_ascii_lowercase().ends_with(".localhost") => {
                return Err(refuse(format!(
                    "the loopback host {quoted}, which is only reachable in simulator mode"
                )))
            }
            Host::Domain(domain) if !host_permitted(vendor, domain, policy) => {
                let domains = vendor_domains(vendor).join(", ");
                return Err(refuse(format!(
                    "{quoted}, which is neither a host of {} ({domains}) nor one the relay allows",
                    vendor.display_name()
                )));
            }
            Host::Domain(_) => {}
        }
        if url.scheme() != "https" {
            return Err(refuse(format!(
                "plain http:// to {quoted}; credentials travel over https only"
            )));
        }
    }
    if !path_is_under_api(vendor, url.path()) {
        return Err(refuse(format!(
            "the path `{}` on {quoted}, outside the {} API",
            truncate_chars(url.path(), QUOTE_MAX_CHARS),
            vendor.display_name()
        )));
    }
    Ok(url)
}

fn host_permitted(vendor: Vendor, domain: &str, policy: &RelayPolicy) -> bool {
    let domain = domain.to_ascii_lowercase();
    if vendor == Vendor::Autotask && is_autotask_domain(&domain) {
        return true;
    }
    // Label-wise: `vsax.net` admits `acme.vsax.net`, never `evilvsax.net` or `vsax.net` itself.
    let under = |suffix: &str| {
        domain
            .strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(|labels| !labels.split('.').any(str::is_empty))
    };
    vendor_domains(vendor).iter().any(|d| under(d))
        || policy.allow_hosts.iter().any(|allowed| {
            let allowed = allowed.trim().to_ascii_lowercase();
            match allowed.strip_prefix('.') {
                Some(suffix) if !suffix.is_empty() => under(suffix),
                _ => !allowed.is_empty() && domain == allowed,
            }
        })
}

/// The API base path of each vendor. Autotask zones may sit under a prefix, so its check
/// looks for the `ATServicesRest/V1.0` segments anywhere, followed by something.
fn path_is_under_api(vendor: Vendor, path: &str) -> bool {
    if path.contains("//") {
        return false;
    }
    match vendor {
        Vendor::Vsax => path_is_under(path, "/api/v3/"),
        Vendor::Vsa9 => path_is_under(path, "/api/v1.0/"),
        Vendor::Vsa9Warehouse => path_is_under(path, "/api/odata/1.0/"),
        Vendor::Autotask => {
            let lower = path.to_ascii_lowercase();
            lower
                .find("/atservicesrest/v1.0/")
                .is_some_and(|at| lower.len() > at + "/atservicesrest/v1.0/".len())
        }
    }
}

fn check_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, Error> {
    let mut kept = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let known = FORWARDED_HEADERS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name.trim()));
        let Some(known) = known else {
            return Err(refuse(format!(
                "the header `{}`, which mspkit never sends",
                truncate_chars(name, 40)
            )));
        };
        if value.contains(['\r', '\n', '\0']) {
            // The value may be a secret: name the header only.
            return Err(refuse(format!(
                "a `{known}` header with a line break in its value"
            )));
        }
        kept.push(((*known).to_string(), value.clone()));
    }
    Ok(kept)
}

fn quote(host: &str) -> String {
    format!("`{}`", truncate_chars(host, QUOTE_MAX_CHARS))
}

fn refuse(problem: String) -> Error {
    Error::new(
        ErrorCode::UnsafeLink,
        format!("The relay refused {problem}"),
        FIX,
    )
}

#[cfg(test)]
mod tests;
