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
/// Accepts what users paste: a missing scheme, surrounding whitespace, upper case, a
/// trailing or doubled slash, the API base or a prefix of it. Refuses, as
/// [`ErrorCode::InvalidConfig`], any other path, userinfo, query, fragment, scheme other
/// than https (http only on loopback with `allow_insecure_loopback`), and
/// [`Vendor::Autotask`], which has no tenant URL.
pub fn normalize_tenant_url(
    vendor: Vendor,
    input: &str,
    allow_insecure_loopback: bool,
) -> Result<Url, Error> {
    // VSA 9 REST and its Data Warehouse live on the same server, so either base is accepted.
    const VSA9_PATHS: &[&str] = &["", "api", "api/v1.0", "api/odata", "api/odata/1.0"];
    const VSA9: (&str, &str) = ("The VSA 9 server URL", "https://vsa.example.com");
    let ((name, example), base_path, accepted) = match vendor {
        Vendor::Vsax => (
            ("The VSA X tenant URL", "https://acme.vsax.net"),
            "/api/v3/",
            &["", "api", "api/v3"][..],
        ),
        Vendor::Vsa9 => (VSA9, "/api/v1.0/", VSA9_PATHS),
        Vendor::Vsa9Warehouse => (VSA9, "/api/odata/1.0/", VSA9_PATHS),
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

    let path = path_segments(&url).join("/").to_ascii_lowercase();
    if !accepted.contains(&path.as_str()) {
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
    let at = describe_origin(&next);
    if !same_origin(base, &next) {
        let expected = describe_origin(base);
        return Err(refuse(format!("to {at}, another origin than {expected}")));
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err(refuse(format!(
            "to {at} that carries a user name or password"
        )));
    }
    if !path_is_under(next.path(), base.path()) {
        let base_path = truncate_chars(base.path(), QUOTE_MAX_CHARS);
        return Err(refuse(format!(
            "on {at} outside the API base path `{base_path}`"
        )));
    }
    if next.fragment().is_some() {
        return Err(refuse(format!("to {at} with a fragment (#...)")));
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
pub(crate) fn is_autotask_domain(domain: &str) -> bool {
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
pub(crate) fn path_is_under(path: &str, base_path: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Vendor::{Autotask, Vsa9, Vsa9Warehouse, Vsax};

    const AT: &str = "https://webservices15.autotask.net";

    // Tables stay one case per line: rustfmt would spread each row over four.
    #[rustfmt::skip]
    const VSAX_PASTES: &[(&str, &str)] = &[
        ("https://acme.vsax.net", "https://acme.vsax.net/api/v3/"),
        ("  https://acme.vsax.net/ \n", "https://acme.vsax.net/api/v3/"),
        ("acme.vsax.net", "https://acme.vsax.net/api/v3/"),
        ("acme.vsax.net:8443", "https://acme.vsax.net:8443/api/v3/"),
        ("acme.vsax.net:8443/api/v3", "https://acme.vsax.net:8443/api/v3/"),
        ("//acme.vsax.net", "https://acme.vsax.net/api/v3/"),
        ("HTTPS://ACME.VSA.KASEYA.NET", "https://acme.vsa.kaseya.net/api/v3/"),
        ("https://acme.kaseya.com:443/", "https://acme.kaseya.com/api/v3/"),
        ("https://acme.vsax.net//", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net/api", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net/api/", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net/api/v3", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net/API/V3/", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net//api//v3//", "https://acme.vsax.net/api/v3/"),
        ("https://acme.vsax.net///api///v3", "https://acme.vsax.net/api/v3/"),
        ("https://localhost", "https://localhost/api/v3/"),
    ];

    /// Each refusal with a phrase its message must contain; all are `InvalidConfig`.
    #[rustfmt::skip]
    const TENANT_REFUSALS: &[(Vendor, &str, &str)] = &[
        (Vsax, "", "is empty"),
        (Vsax, "   \t", "is empty"),
        (Vsax, "https://", "could not be read"),
        (Vsax, "https://acme vsax.net", "could not be read"),
        (Vsax, "acme.vsax.net:99999", "could not be read"),
        (Vsax, "ftp://acme.vsax.net", "`ftp:`"),
        (Vsax, "file:///etc/passwd", "`file:`"),
        (Vsax, "javascript:alert(1)", "`javascript:`"),
        (Vsax, "gopher://acme.vsax.net", "does not start with https://"),
        (Vsax, "http://acme.vsax.net", "plain http://"),
        (Vsax, "https://user:pw@acme.vsax.net", "user name or password"),
        (Vsax, "https://user@acme.vsax.net", "user name or password"),
        (Vsax, "user:pw@acme.vsax.net", "user name or password"),
        (Vsax, "https://acme.vsax.net/?x=1", "query"),
        (Vsax, "https://acme.vsax.net?", "query"),
        (Vsax, "https://acme.vsax.net/#top", "fragment"),
        (Vsax, "https://acme.vsax.net#", "fragment"),
        (Vsax, "https://acme.vsax.net/api/v1.0", "path `/api/v1.0`"),
        (Vsax, "https://acme.vsax.net/login", "e.g. `https://acme.vsax.net`"),
        (Vsa9, "https://vsa.example.com/api/v3", "e.g. `https://vsa.example.com`"),
        (Vsa9Warehouse, "https://vsa.example.com/vsapres/web20", "`/vsapres/web20`"),
        (Autotask, AT, "no tenant URL"),
    ];

    /// Zone URLs refused whatever their source, with the `allow_insecure_loopback` flag.
    #[rustfmt::skip]
    const ZONE_REFUSALS: &[(&str, bool)] = &[
        ("http://webservices15.autotask.net", false),
        ("https://webservices15.autotask.net.evil.com", false),
        ("https://evilautotask.net/ATServicesRest/", false),
        ("https://autotask.net.evil.com", false),
        ("https://1.2.3.4/ATServicesRest/", false),
        ("https://[2001:db8::1]/ATServicesRest/", false),
        ("http://127.0.0.1:8080/ATServicesRest/", false),
        ("http://10.0.0.1:8080/ATServicesRest/", true),
        ("https://user:pw@webservices15.autotask.net", false),
        ("https://webservices15.autotask.net/ATServicesRest/?x=1", false),
        ("https://webservices15.autotask.net/ATServicesRest/#", false),
        ("https://webservices15.autotask.net/ATServicesRest/V2.0/", false),
        ("https://webservices15.autotask.net/ATServicesRest/V1.0/Companies", false),
        ("https://webservices15.autotask.net/other", false),
        ("javascript:alert(1)", true),
        ("", true),
        ("not a url at all", true),
    ];

    /// Next links from a request to `https://acme.vsax.net/api/v3/devices`, with a phrase
    /// the `UnsafeLink` message must contain.
    #[rustfmt::skip]
    const UNSAFE_LINKS: &[(&str, &str)] = &[
        ("https://evil.com/api/v3/devices?$skip=1", "`https://evil.com`"),
        ("//evil.com/api/v3/devices", "`https://evil.com`"),
        ("http://acme.vsax.net/api/v3/devices?$skip=1", "`http://acme.vsax.net`"),
        ("https://acme.vsax.net:8443/api/v3/devices", "`https://acme.vsax.net:8443`"),
        ("https://acme.vsax.net.evil.com/api/v3/x", "`https://acme.vsax.net.evil.com`"),
        ("https://u:p@acme.vsax.net/api/v3/devices", "user name or password"),
        ("https://acme.vsax.net/api/v2/devices", "outside the API base"),
        ("/api/v3x/devices", "outside the API base"),
        ("../../other", "outside the API base"),
        ("/api/v3/%2e%2e/%2e%2e/other", "outside the API base"),
        ("https://acme.vsax.net/api/v3/devices#", "fragment"),
        ("javascript:alert(1)", "`javascript:`"),
        ("data:text/plain,x", "`data:`"),
        ("   ", "empty"),
        ("https://[", "could not be read"),
    ];

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// The URL as a string, or the error's code and message, so tables compare one value.
    fn show(r: Result<Url, Error>) -> String {
        r.map_or_else(|e| format!("{}: {}", e.code(), e.message()), String::from)
    }

    /// Asserts a refusal with `code`, a message containing `needle` and some remediation.
    #[track_caller]
    fn refused(r: Result<Url, Error>, code: ErrorCode, needle: &str) -> Error {
        let err = r.expect_err(needle);
        assert_eq!(err.code(), code, "{}", err.message());
        assert!(
            err.message().contains(needle),
            "no {needle:?} in {}",
            err.message()
        );
        assert!(!err.remediation().is_empty(), "{}", err.message());
        err
    }

    #[test]
    fn vsax_accepts_every_paste_form() {
        for &(input, want) in VSAX_PASTES {
            let got = normalize_tenant_url(Vsax, input, false);
            assert_eq!(show(got), want, "{input:?}");
        }
    }

    #[test]
    fn vsa9_and_warehouse_accept_every_paste_form() {
        let paths = "/ /api /api/v1.0 /API/V1.0/ /api/odata //api//odata//1.0// /api/odata/1.0";
        for path in paths.split(' ').chain([""]) {
            let input = format!("https://VSA.example.com:4443{path}");
            let rest = show(normalize_tenant_url(Vsa9, &input, false));
            assert_eq!(rest, "https://vsa.example.com:4443/api/v1.0/", "{input}");
            let dw = show(normalize_tenant_url(Vsa9Warehouse, &input, false));
            assert_eq!(dw, "https://vsa.example.com:4443/api/odata/1.0/", "{input}");
        }
        let bare = normalize_tenant_url(Vsa9, " 10.0.0.5 ", false);
        assert_eq!(show(bare), "https://10.0.0.5/api/v1.0/");
    }

    #[test]
    fn tenant_url_refusals_are_invalid_config() {
        for &(vendor, input, needle) in TENANT_REFUSALS {
            refused(
                normalize_tenant_url(vendor, input, true),
                ErrorCode::InvalidConfig,
                needle,
            );
        }
    }

    #[test]
    fn loopback_http_needs_the_flag() {
        let origins =
            "http://127.0.0.1:8080 http://127.9.8.7 http://localhost:3000 http://[::1]:8080";
        for origin in origins.split(' ') {
            let allowed = normalize_tenant_url(Vsax, origin, true);
            assert_eq!(show(allowed), format!("{origin}/api/v3/"));
            let denied = normalize_tenant_url(Vsax, origin, false);
            let err = refused(denied, ErrorCode::InvalidConfig, "plain http://");
            assert!(err.remediation().contains("allow_insecure_loopback"));
        }
        // https on loopback needs no flag; http elsewhere is refused even with it.
        assert!(normalize_tenant_url(Vsa9, "https://[::1]:8443", false).is_ok());
        assert!(normalize_tenant_url(Vsax, "http://10.0.0.1", true).is_err());
        assert!(normalize_tenant_url(Vsax, "http://localhost.evil.com", true).is_err());
    }

    #[test]
    fn is_loopback_covers_127_slash_8_ipv6_and_localhost() {
        let yes = "http://127.0.0.1 http://127.255.0.1 http://[::1] http://LOCALHOST";
        let no = "http://128.0.0.1 http://[::2] http://localhost.evil.com http://0.0.0.0";
        for (list, want) in [(yes, true), (no, false)] {
            for input in list.split(' ') {
                assert_eq!(is_loopback(&url(input)), want, "{input}");
            }
        }
    }

    #[test]
    fn messages_never_echo_secrets() {
        const S: &str = "S3CRET-SENTINEL";
        let no_leak = |r: Result<Url, Error>| {
            let err = r.expect_err("every sentinel input is refused");
            for text in [err.message(), err.remediation(), &err.to_string()] {
                let leaked = text.to_lowercase().contains(&S.to_lowercase());
                assert!(!leaked, "leaked: {text}");
            }
        };
        for input in [
            format!("https://{S}:{S}@acme.vsax.net"),
            format!("https://{S}@acme.vsax.net"),
            format!("{S}:{S}@acme.vsax.net"),
            format!("https://acme.vsax.net/?token={S}"),
            format!("https://acme.vsax.net/#{S}"),
            format!("{S} is my token"),
            format!("https://{S} x"),
            format!("{S}:{S}"),
            format!("{AT}/ATServicesRest/?k={S}"),
            format!("https://{S}@webservices15.autotask.net"),
        ] {
            for vendor in [Vsax, Vsa9, Vsa9Warehouse] {
                no_leak(normalize_tenant_url(vendor, &input, false));
            }
            for source in [UrlSource::User, UrlSource::Server] {
                no_leak(normalize_autotask_zone_url(&input, false, source));
            }
            no_leak(validate_zone_discovery_url(&input, false));
        }
        let base = url("https://acme.vsax.net/api/v3/");
        for link in [
            format!("https://evil.com/api/v3/x?t={S}"),
            format!("https://{S}:{S}@acme.vsax.net/api/v3/x"),
            format!("https://acme.vsax.net/other?t={S}"),
            format!("https://acme.vsax.net/api/v3/x#{S}"),
        ] {
            no_leak(check_next_link(&base, &base, &link));
        }
    }

    #[test]
    fn zone_url_accepts_autotask_and_simulator_forms() {
        let want = format!("{AT}/ATServicesRest/V1.0/");
        for suffix in " / /ATServicesRest /ATServicesRest/ /atservicesrest/v1.0".split(' ') {
            let input = format!("{AT}{suffix}");
            let got = normalize_autotask_zone_url(&input, false, UrlSource::Server);
            assert_eq!(show(got), want, "{input:?}");
        }
        for input in [
            "https://WebServices15.AutoTask.net//ATServicesRest//V1.0//",
            " webservices15.autotask.net/ATServicesRest/V1.0/ ",
        ] {
            let got = normalize_autotask_zone_url(input, false, UrlSource::User);
            assert_eq!(show(got), want, "{input:?}");
        }
        let sim = "http://127.0.0.1:8080/autotask/ATServicesRest/";
        let got = show(normalize_autotask_zone_url(sim, true, UrlSource::Server));
        assert_eq!(got, format!("{sim}V1.0/"));
        let got = normalize_autotask_zone_url("http://localhost:8080", true, UrlSource::User);
        assert_eq!(show(got), "http://localhost:8080/ATServicesRest/V1.0/");
    }

    #[test]
    fn zone_url_refusals_use_the_code_of_their_source() {
        for &(input, allow) in ZONE_REFUSALS {
            let user = normalize_autotask_zone_url(input, allow, UrlSource::User);
            refused(user, ErrorCode::InvalidConfig, "");
            let server = normalize_autotask_zone_url(input, allow, UrlSource::Server);
            let err = refused(server, ErrorCode::UnsafeLink, "");
            assert!(
                err.remediation().starts_with("Nothing was sent"),
                "{input:?}"
            );
        }
        // A server must send an absolute URL; only people get a missing scheme forgiven.
        let bare =
            normalize_autotask_zone_url(&AT.replace("https://", ""), false, UrlSource::Server);
        refused(bare, ErrorCode::UnsafeLink, "");
    }

    #[test]
    fn zone_discovery_url_keeps_its_path() {
        let ok = validate_zone_discovery_url(DEFAULT_ZONE_DISCOVERY_URL, false);
        assert_eq!(show(ok), DEFAULT_ZONE_DISCOVERY_URL);
        let doubled = "https://webservices.autotask.net//ATServicesRest//V1.0//zoneInformation";
        let got = validate_zone_discovery_url(doubled, false);
        assert_eq!(show(got), DEFAULT_ZONE_DISCOVERY_URL);
        let sim = validate_zone_discovery_url("http://[::1]:8080/at/zoneInformation", true);
        assert_eq!(show(sim), "http://[::1]:8080/at/zoneInformation");
        for bad in [
            DEFAULT_ZONE_DISCOVERY_URL.replace("https", "http"),
            DEFAULT_ZONE_DISCOVERY_URL.replace(".net/", ".net.evil.com/"),
            format!("{DEFAULT_ZONE_DISCOVERY_URL}?user=x"),
            DEFAULT_ZONE_DISCOVERY_URL.replace("https://", "https://u:p@"),
            "http://127.0.0.1:8080/zoneInformation".to_string(),
        ] {
            refused(
                validate_zone_discovery_url(&bad, false),
                ErrorCode::InvalidConfig,
                "",
            );
        }
    }

    #[test]
    fn next_links_on_the_api_base_are_followed() {
        let base = url("https://vsa.example.com/api/odata/1.0/");
        let request = url("https://vsa.example.com/api/odata/1.0/Agents?$top=100");
        let links = [
            "Agents?$skip=100",
            " https://vsa.example.com:443/api/odata/1.0/Agents?$skip=100 ",
            "/api/odata/1.0/Agents?$skip=100",
        ];
        for link in links {
            let got = check_next_link(&base, &request, link);
            assert_eq!(
                show(got),
                "https://vsa.example.com/api/odata/1.0/Agents?$skip=100"
            );
        }
        let at_base = url(&format!("{AT}/ATServicesRest/V1.0/"));
        let at_request = url(&format!("{AT}/ATServicesRest/V1.0/Companies/query"));
        let next = format!(
            "{AT}/ATServicesRest/V1.0/Companies/query/next\
             ?paging=%7B%22pageSize%22%3A500%7D&search=%7B%7D"
        );
        assert_eq!(show(check_next_link(&at_base, &at_request, &next)), next);
        let sim = url("http://127.0.0.1:8080/api/v3/");
        let got = check_next_link(&sim, &sim, "http://127.0.0.1:8080/api/v3/devices?$skip=5");
        assert!(got.is_ok());
    }

    #[test]
    fn next_links_elsewhere_are_unsafe() {
        let base = url("https://acme.vsax.net/api/v3/");
        let request = url("https://acme.vsax.net/api/v3/devices?$top=100");
        for &(link, needle) in UNSAFE_LINKS {
            let got = check_next_link(&base, &request, link);
            let err = refused(got, ErrorCode::UnsafeLink, needle);
            assert!(
                err.remediation().starts_with("Nothing was sent"),
                "{link:?}"
            );
            assert!(
                !err.message().contains("$skip"),
                "{link:?} echoed its query"
            );
        }
    }

    #[test]
    fn same_origin_compares_scheme_host_and_effective_port() {
        let same = |a: &str, b: &str| same_origin(&url(a), &url(b));
        assert!(same("https://a.example/x", "https://A.example:443/y?z"));
        assert!(same("http://[::1]:80/", "http://[::1]/"));
        assert!(!same("https://a.example/", "http://a.example/"));
        assert!(!same("https://a.example/", "https://a.example:8443/"));
        assert!(!same("https://a.example/", "https://b.example/"));
        assert!(!same("javascript:x", "javascript:x"));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(
            input in prop_oneof![".*", "[a-zA-Z]{0,6}:?/{0,3}[a-zA-Z0-9.:@\\[\\]%?#/ -]{0,40}"],
            allow in any::<bool>(),
        ) {
            for vendor in [Vsax, Vsa9, Vsa9Warehouse, Autotask] {
                let _ = normalize_tenant_url(vendor, &input, allow);
            }
            let _ = normalize_autotask_zone_url(&input, allow, UrlSource::User);
            let _ = normalize_autotask_zone_url(&input, allow, UrlSource::Server);
            let _ = validate_zone_discovery_url(&input, allow);
            let base = url("https://acme.vsax.net/api/v3/");
            let _ = check_next_link(&base, &url("https://acme.vsax.net/api/v3/devices"), &input);
        }
    }
}
