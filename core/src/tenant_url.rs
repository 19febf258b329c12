//! Tenant, zone and next-page URLs: turning what users paste into an API base, and
//! refusing every URL that could carry credentials somewhere they must not go.
//!
//! Every check runs before a request exists, so a refusal means nothing was sent. Error
//! text never repeats the raw input: users paste secrets into URL fields by mistake, and
//! userinfo, query and fragment are exactly where such a secret sits. Messages name at
//! most the scheme, the host and the path, which the URL parser has already isolated.

use std::borrow::Cow;
use std::fmt::Display;

use url::{Host, Url};

use crate::error::truncate_chars;
use crate::{Error, ErrorCode, Vendor};

/// Where a URL came from: decides the error code when it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// Typed or configured by the user: a refusal is [`ErrorCode::InvalidConfig`].
    User,
    /// Returned by a server (zone discovery): a refusal is [`ErrorCode::UnsafeLink`].
    Server,
}

/// Autotask's global zone discovery endpoint (pinned to V1.0: V2.0 answers 404).
pub const DEFAULT_ZONE_DISCOVERY_URL: &str =
    "https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation";

/// Longest host or path quoted in a message; a pasted blob must not flood the UI.
const QUOTE_MAX_CHARS: usize = 80;

/// Schemes a message may name. Any other is described generically, because a scheme-like
/// prefix may really be a user name (`user:password@host` pasted without `https://`).
const NAMED_SCHEMES: &str =
    "ftp ftps sftp ssh file javascript vbscript data mailto ws wss about blob";

const ZONE_SERVER_FIX: &str = "Nothing was sent to it. Autotask zone discovery (or something \
     between you and Autotask, such as a proxy) returned a zone URL that is not a safe Autotask \
     address; report it to Autotask, or set zone_url to your zone's address \
     (e.g. https://webservices15.autotask.net).";

const AUTOTASK_NO_TENANT: &str =
    "Autotask PSA has no tenant URL: its API host is found by zone discovery";

const AUTOTASK_NO_TENANT_FIX: &str = "Leave the tenant URL out. Pass zone_url \
     (e.g. https://webservices15.autotask.net) to skip zone discovery, or let mspkit \
     discover the zone from the API username.";

const NEXT_LINK_FIX: &str = "Nothing was sent to it. The server (or something between you \
     and it, such as a proxy) returned a next-page link to another origin or outside this \
     API, where credentials must not go; report it to the vendor.";

/// Which URL field is being checked, so every refusal reads the same way.
struct Subject {
    name: &'static str,
    example: &'static str,
    source: UrlSource,
}

impl Subject {
    fn refuse(&self, problem: impl Display, fix: impl Into<String>) -> Error {
        let message = format!("{} {problem}", self.name);
        match self.source {
            UrlSource::User => Error::config(message, fix),
            // Whatever the problem, the user's fix is the same: report it, nothing was sent.
            UrlSource::Server => Error::new(ErrorCode::UnsafeLink, message, ZONE_SERVER_FIX),
        }
    }

    fn enter_example(&self) -> String {
        format!("Enter the address only, e.g. {}.", self.example)
    }
}

/// Normalises a pasted VSA X or VSA 9 server address to the vendor's API base (ending in `/`).
///
/// Accepts a missing scheme, surrounding whitespace, a trailing or doubled slash and the
/// API base (or a prefix of it); refuses anything that is not a plain https origin, or
/// http on loopback when `allow_insecure_loopback` is set. Autotask has no tenant URL.
pub fn normalize_tenant_url(
    vendor: Vendor,
    input: &str,
    allow_insecure_loopback: bool,
) -> Result<Url, Error> {
    // VSA 9 REST and its Data Warehouse live on the same server, so either base is accepted.
    const VSA9_PATHS: &[&[&str]] = &[
        &[],
        &["api"],
        &["api", "v1.0"],
        &["api", "odata"],
        &["api", "odata", "1.0"],
    ];
    let (name, example, base_path, accepted): (_, _, _, &[&[&str]]) = match vendor {
        Vendor::Vsax => (
            "The VSA X tenant URL",
            "https://acme.vsax.net",
            "/api/v3/",
            &[&[], &["api"], &["api", "v3"]],
        ),
        Vendor::Vsa9 => (
            "The VSA 9 server URL",
            "https://vsa.example.com",
            "/api/v1.0/",
            VSA9_PATHS,
        ),
        Vendor::Vsa9Warehouse => (
            "The VSA 9 server URL",
            "https://vsa.example.com",
            "/api/odata/1.0/",
            VSA9_PATHS,
        ),
        Vendor::Autotask => return Err(Error::config(AUTOTASK_NO_TENANT, AUTOTASK_NO_TENANT_FIX)),
    };
    let subject = Subject {
        name,
        example,
        source: UrlSource::User,
    };
    let url = parse_and_check(input, &subject)?;

    let loopback = is_loopback(&url);
    if url.scheme() == "http" && !(loopback && allow_insecure_loopback) {
        let fix = if loopback {
            "Use https://, or set allow_insecure_loopback to reach a local simulator over http."
        } else {
            "Use https://: credentials must not travel unencrypted."
        };
        return Err(subject.refuse(plain_http(&url), fix));
    }

    let segments = path_segments(&url);
    let known = accepted.iter().any(|allowed| {
        allowed.len() == segments.len()
            && allowed
                .iter()
                .zip(&segments)
                .all(|(a, s)| a.eq_ignore_ascii_case(s))
    });
    if !known {
        return Err(subject.refuse(
            format!(
                "should be the server address, e.g. `{example}`, but it has the path `{}`",
                truncate_chars(url.path(), QUOTE_MAX_CHARS)
            ),
            format!("Enter only the scheme, host and port; mspkit adds {base_path} itself."),
        ));
    }
    let mut base = url;
    base.set_path(base_path);
    Ok(base)
}

/// Normalises an Autotask zone URL to `<origin><prefix>/ATServicesRest/V1.0/`.
///
/// The host must be `autotask.net` or a subdomain over https, or loopback (http or https)
/// when `allow_insecure_loopback` is set. `source` picks the error code: a zone URL that a
/// server returned and that fails these checks must never be contacted.
pub fn normalize_autotask_zone_url(
    input: &str,
    allow_insecure_loopback: bool,
    source: UrlSource,
) -> Result<Url, Error> {
    let subject = Subject {
        name: match source {
            UrlSource::User => "The Autotask zone URL",
            UrlSource::Server => "The zone URL returned by Autotask zone discovery",
        },
        example: "https://webservices15.autotask.net",
        source,
    };
    let url = parse_and_check(input, &subject)?;
    check_autotask_host(&url, allow_insecure_loopback, &subject)?;

    let segments = path_segments(&url);
    let eq = |segment: &&str, want: &str| segment.eq_ignore_ascii_case(want);
    let prefix: &[&str] = match segments.as_slice() {
        [] => &[],
        [prefix @ .., last] if eq(last, "ATServicesRest") => prefix,
        [prefix @ .., rest, version] if eq(rest, "ATServicesRest") && eq(version, "V1.0") => prefix,
        _ => {
            return Err(subject.refuse(
                format!(
                    "has the path `{}`; expected nothing or /ATServicesRest/V1.0/",
                    truncate_chars(url.path(), QUOTE_MAX_CHARS)
                ),
                subject.enter_example(),
            ))
        }
    };
    let mut path: String = prefix.iter().flat_map(|segment| ["/", segment]).collect();
    path.push_str("/ATServicesRest/V1.0/");
    let mut zone = url.clone();
    zone.set_path(&path);
    Ok(zone)
}

/// Checks a configured zone discovery endpoint (the full `zoneInformation` URL).
///
/// Same host and scheme rules as a zone URL; the path is kept as given, with doubled
/// slashes collapsed. Refusals are [`ErrorCode::InvalidConfig`].
pub fn validate_zone_discovery_url(
    input: &str,
    allow_insecure_loopback: bool,
) -> Result<Url, Error> {
    let subject = Subject {
        name: "The zone discovery URL",
        example: DEFAULT_ZONE_DISCOVERY_URL,
        source: UrlSource::User,
    };
    let mut url = parse_and_check(input, &subject)?;
    check_autotask_host(&url, allow_insecure_loopback, &subject)?;
    let collapsed = collapse_slashes(url.path());
    url.set_path(&collapsed);
    Ok(url)
}

/// Checks a next-page link from a response before anything is sent to it.
///
/// The link is resolved against `request_url` (it may be relative) and accepted only on
/// `base`'s origin, under `base`'s path, without userinfo or fragment. The query is kept
/// exactly as parsed, because Autotask links carry JSON in it that must round-trip.
pub fn check_next_link(base: &Url, request_url: &Url, link: &str) -> Result<Url, Error> {
    let refuse = |problem: String| {
        Error::new(
            ErrorCode::UnsafeLink,
            format!("The server returned a next-page link {problem}"),
            NEXT_LINK_FIX,
        )
    };
    let link = link.trim();
    if link.is_empty() {
        return Err(refuse("that is empty".into()));
    }
    let next = request_url
        .join(link)
        .map_err(|e| refuse(format!("that could not be read as a URL ({e})")))?;
    if !matches!(next.scheme(), "http" | "https") || next.host().is_none() {
        return Err(refuse(format!(
            "with the scheme `{}:`, which is not a web address",
            truncate_chars(next.scheme(), QUOTE_MAX_CHARS)
        )));
    }
    if !same_origin(base, &next) {
        return Err(refuse(format!(
            "to {}, another origin than {}",
            describe_origin(&next),
            describe_origin(base)
        )));
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err(refuse(format!(
            "to {} that carries a user name or password",
            describe_origin(&next)
        )));
    }
    if !path_is_under(next.path(), base.path()) {
        return Err(refuse(format!(
            "on {} outside the API base path `{}`",
            describe_origin(&next),
            truncate_chars(base.path(), QUOTE_MAX_CHARS)
        )));
    }
    if next.fragment().is_some() {
        return Err(refuse(format!(
            "to {} with a fragment (#...)",
            describe_origin(&next)
        )));
    }
    Ok(next)
}

/// True for hosts that never leave the machine: 127.0.0.0/8, `::1` and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// True when both URLs have the same scheme, host and port (default ports filled in).
///
/// URLs without a host (`javascript:`, `data:`) are never the same origin as anything.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.host().is_some()
        && a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Parses user or server input and refuses what no field accepts: other schemes, no host,
/// userinfo, query, fragment.
fn parse_and_check(input: &str, subject: &Subject) -> Result<Url, Error> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(subject.refuse("is empty", subject.enter_example()));
    }
    // Only people leave out the scheme; a server that does is sending something malformed.
    let candidate = match subject.source {
        UrlSource::User => with_default_scheme(trimmed),
        UrlSource::Server => Cow::Borrowed(trimmed),
    };
    let url = Url::parse(&candidate).map_err(|e| {
        // url's parse errors are fixed phrases ("invalid port number"), never the input.
        subject.refuse(
            format!("could not be read as a web address ({e})"),
            subject.enter_example(),
        )
    })?;
    let scheme = url.scheme();
    if !matches!(scheme, "http" | "https") {
        let problem = if NAMED_SCHEMES.split(' ').any(|named| named == scheme) {
            format!("uses `{scheme}:`; only https:// addresses are supported")
        } else {
            "does not start with https://; only https:// addresses are supported".to_string()
        };
        return Err(subject.refuse(problem, subject.enter_example()));
    }
    if url.host().is_none() {
        return Err(subject.refuse("has no host name", subject.enter_example()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(subject.refuse(
            format!(
                "for {} contains a user name or password; credentials never belong in a URL",
                quote_host(&url)
            ),
            "Remove everything before the @ and enter credentials in their own fields; \
             if a real secret was in it, consider rotating that secret.",
        ));
    }
    let fix = subject.enter_example();
    if url.query().is_some() {
        return Err(subject.refuse(
            "has a query string (?...)",
            format!("Remove the ?... part. {fix}"),
        ));
    }
    if url.fragment().is_some() {
        return Err(subject.refuse(
            "has a fragment (#...)",
            format!("Remove the #... part. {fix}"),
        ));
    }
    Ok(url)
}

/// Adds `https:` to what a user pasted without a scheme (`acme.vsax.net`,
/// `acme.vsax.net:8443`, `//acme.vsax.net`, `token@host`).
fn with_default_scheme(input: &str) -> Cow<'_, str> {
    if input.starts_with("//") {
        return Cow::Owned(format!("https:{input}"));
    }
    if let Some((candidate, rest)) = input.split_once(':') {
        let is_scheme_name = candidate.starts_with(|c: char| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        // `host:8443` has a port where a scheme would be; `user:pw@host` has userinfo.
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let is_port =
            digits > 0 && matches!(rest.as_bytes().get(digits), None | Some(b'/' | b'?' | b'#'));
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let has_userinfo =
            !rest.starts_with("//") && rest.get(..authority_end).is_some_and(|a| a.contains('@'));
        if is_scheme_name && !is_port && !has_userinfo {
            return Cow::Borrowed(input);
        }
    }
    Cow::Owned(format!("https://{input}"))
}

/// Refuses anything but https on an Autotask host, or loopback when allowed.
fn check_autotask_host(
    url: &Url,
    allow_insecure_loopback: bool,
    subject: &Subject,
) -> Result<(), Error> {
    let loopback = is_loopback(url);
    if loopback && allow_insecure_loopback {
        return Ok(());
    }
    let autotask_host = matches!(url.host(), Some(Host::Domain(d)) if is_autotask_domain(d));
    if autotask_host && url.scheme() == "https" {
        return Ok(());
    }
    let (problem, fix) = if autotask_host {
        (plain_http(url), subject.enter_example())
    } else if loopback {
        (
            format!("points at the loopback host {}", quote_host(url)),
            "Set allow_insecure_loopback to use a local simulator.".to_string(),
        )
    } else {
        (
            format!(
                "points at {}, which is not an Autotask host (autotask.net)",
                quote_host(url)
            ),
            subject.enter_example(),
        )
    };
    Err(subject.refuse(problem, fix))
}

/// `autotask.net` or a subdomain; suffix matching on labels so `evilautotask.net` fails.
fn is_autotask_domain(domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    domain == "autotask.net"
        || (domain.ends_with(".autotask.net") && !domain.split('.').any(str::is_empty))
}

/// Non-empty path segments: doubled slashes are a paste artefact, not meaning.
fn path_segments(url: &Url) -> Vec<&str> {
    url.path().split('/').filter(|s| !s.is_empty()).collect()
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// Segment-aware prefix test, so base `/api/v3` does not admit `/api/v3x`.
fn path_is_under(path: &str, base_path: &str) -> bool {
    if base_path.ends_with('/') {
        return path.starts_with(base_path);
    }
    path == base_path
        || path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn plain_http(url: &Url) -> String {
    format!(
        "uses plain http:// on {}; only https:// is allowed",
        quote_host(url)
    )
}

fn quote_host(url: &Url) -> String {
    format!(
        "`{}`",
        truncate_chars(url.host_str().unwrap_or(""), QUOTE_MAX_CHARS)
    )
}

fn describe_origin(url: &Url) -> String {
    let host = truncate_chars(url.host_str().unwrap_or(""), QUOTE_MAX_CHARS);
    match url.port() {
        Some(port) => format!("`{}://{host}:{port}`", url.scheme()),
        None => format!("`{}://{host}`", url.scheme()),
    }
}
