//! Next-page links: `check_next_link` with fuzzed base, request URL and link, and the
//! same link served in each vendor's page envelope through a client.
//!
//! Input: byte 0 picks the base (or a fuzzed one), byte 1 the request URL and whether a
//! client is driven; the rest is `link`, or `base RS request RS link` with RS = 0x1E.
//! Properties: an accepted link has the base's scheme, host and port, sits under its
//! path, has no userinfo or fragment, and is accepted again unchanged; a refusal is
//! `unsafe_link` and never repeats a secret put in the link's userinfo or fragment; a
//! client only ever follows a link to its own tenant.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_core::tenant_url::check_next_link;
use mspkit_core::ErrorCode;
use mspkit_fuzz::{
    check_error, check_url_error, run, Bytes, Jobs, Mode, Reply, Script, Setup, RECORD_SEPARATOR,
    SECRET,
};
use url::Url;

const BASES: [&str; 5] = [
    "https://acme.vsax.net/api/v3/",
    "https://vsa.example.com/api/v1.0/",
    "https://vsa.example.com/api/odata/1.0/",
    "https://webservices15.autotask.net/ATServicesRest/V1.0/",
    "http://127.0.0.1:8443/api/v3",
];

fn check(base: &Url, request: &Url, link: &str) {
    match check_next_link(base, request, link) {
        Ok(next) => {
            assert_eq!(next.scheme(), base.scheme(), "{next}");
            assert_eq!(next.host(), base.host(), "{next}");
            assert_eq!(
                next.port_or_known_default(),
                base.port_or_known_default(),
                "{next}"
            );
            assert!(
                next.username().is_empty() && next.password().is_none(),
                "{next}"
            );
            assert!(next.fragment().is_none(), "{next}");
            let under = if base.path().ends_with('/') {
                next.path().starts_with(base.path())
            } else {
                next.path() == base.path()
                    || next
                        .path()
                        .strip_prefix(base.path())
                        .is_some_and(|rest| rest.starts_with('/'))
            };
            assert!(under, "{next} is not under {base}");
            let again = check_next_link(base, request, next.as_str());
            assert_eq!(
                again.as_ref().ok(),
                Some(&next),
                "accepted link not accepted again"
            );
        }
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::UnsafeLink);
            check_error(&e, &[]);
        }
    }
}

/// The link with a secret in its userinfo, and with one in its fragment.
fn check_secret_variants(base: &Url, request: &Url, link: &str) {
    let with_userinfo = match link.find("://") {
        Some(at) => format!("{}u:{SECRET}@{}", &link[..at + 3], &link[at + 3..]),
        None => format!("//u:{SECRET}@{link}"),
    };
    let with_fragment = format!("{link}#{SECRET}");
    for (variant, must_refuse) in [(with_userinfo, false), (with_fragment, true)] {
        match check_next_link(base, request, &variant) {
            Ok(next) => {
                assert!(!must_refuse, "a link with a fragment was accepted: {next}");
                assert!(next.password() != Some(SECRET), "{next}");
            }
            Err(e) => check_url_error(&e, &[SECRET.to_string()]),
        }
    }
}

fn page_with_link(setup: Setup, link: &str) -> Vec<u8> {
    let link = serde_json::to_string(link).unwrap_or_default();
    match setup {
        Setup::Vsax => format!(
            r#"{{"Data":[{{"Identifier":"a"}},{{"Identifier":"b"}},{{"Identifier":"c"}}],"Meta":{{"ResponseCode":200,"TotalCount":100,"NextQueryLink":{link}}}}}"#
        ),
        Setup::Warehouse => format!(
            r#"{{"value":[{{"AgentId":1}},{{"AgentId":2}},{{"AgentId":3}}],"@odata.nextLink":{link}}}"#
        ),
        _ => format!(
            r#"{{"items":[{{"id":1}},{{"id":2}},{{"id":3}}],"pageDetails":{{"count":3,"requestCount":3,"prevPageUrl":null,"nextPageUrl":{link}}}}}"#
        ),
    }
    .into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let base_choice = bytes.byte();
    let mode = bytes.byte();
    let rest = bytes.rest();
    let fields: Vec<String> = rest
        .splitn(3, |&b| b == RECORD_SEPARATOR)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let link = fields.last().map(String::as_str).unwrap_or_default();

    if mode & 0x80 != 0 {
        // Through a client: the link as each vendor serves it.
        let setup = [
            Setup::Vsax,
            Setup::Warehouse,
            Setup::AutotaskZone,
            Setup::AutotaskKeyset,
        ][usize::from(mode & 3)];
        run(&Script {
            setup,
            jobs: Jobs::List,
            mode: Mode::JobReplies {
                canned_pages: usize::from(mode >> 2 & 1),
            },
            clock_step_ms: 100,
            replies: vec![Reply::ok(&page_with_link(setup, link))],
        });
        return;
    }

    let base = match usize::from(base_choice) % (BASES.len() + 1) {
        i if i < BASES.len() => Url::parse(BASES[i]).expect("fixed base"),
        _ => match fields.first().and_then(|f| Url::parse(f).ok()) {
            Some(url) => url,
            None => return,
        },
    };
    let request = match mode % 3 {
        0 => base.clone(),
        1 => base
            .join("devices?$top=3&$skip=3")
            .unwrap_or_else(|_| base.clone()),
        _ => match fields.get(1).filter(|_| fields.len() == 3) {
            Some(text) => match base.join(text) {
                Ok(url) => url,
                Err(_) => return,
            },
            None => base.clone(),
        },
    };
    check(&base, &request, link);
    check_secret_variants(&base, &request, link);
});
