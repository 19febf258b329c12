//! The real core against the simulated Kaseya VSA 9 REST API, with a personal access
//! token and with the legacy hashed password: sessions, lists, resume, session expiry.

mod host;

use std::collections::BTreeMap;
use std::time::Duration;

use host::*;
use mspkit_core::{
    Client, EndpointClass, ErrorCode, Event, ListOptions, PacingOptions, RateWindow, Vsa9Auth,
};

fn driver() -> Driver {
    Driver::new(Duration::from_secs(2))
}

fn auth_name(auth: Vsa9Auth) -> &'static str {
    match auth {
        Vsa9Auth::Pat => "PAT",
        Vsa9Auth::Password { .. } => "password",
    }
}

#[test]
fn connection_test_logs_on_then_counts_organizations() {
    for auth in vsa9_auths() {
        let sim = start(config(&[("vsa9.orgs", 9)], &[], &[]));
        let mut client = vsa9(&sim, auth, fast_pacing());
        client.start_test_connection();
        let out = driver().run(&mut client);
        let report = out.report();
        assert!(report.ok, "{}: {report:?}", auth_name(auth));
        assert_eq!(report.organization_count, Some(9));
        assert_eq!(report.message, "Connected to Kaseya VSA 9: 9 organizations");
        assert_eq!(report.requests_made, 2, "/auth, then system/orgs");
        let stats = stats(&sim);
        assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 1);
        assert_eq!(counter(&stats, "vsa9 GET system/orgs", "requests"), 1);
    }
}

#[test]
fn a_wrong_token_or_password_fails_unauthorized_at_auth_alone() {
    for auth in vsa9_auths() {
        let sim = start(config(&[], &[], &[]));
        let c = creds(&sim);
        let mut client = Client::vsa9(
            &sim.origin(),
            text(&c, "/vsa9/username"),
            "wrong-token-or-password",
            auth,
            options(fast_pacing()),
        )
        .unwrap();
        client.start_test_connection();
        let out = driver().run(&mut client);
        let report = out.report();
        let error = report.error.as_ref().unwrap();
        assert_eq!(error.code(), ErrorCode::Unauthorized, "{}", auth_name(auth));
        assert_eq!(report.requests_made, 1);
        let stats = stats(&sim);
        assert_eq!(
            vendor_counter(&stats, "vsa9", "requests"),
            1,
            "{}: only /auth: {:?}",
            auth_name(auth),
            requests_by_endpoint(&stats)
        );
        assert_eq!(counter(&stats, "vsa9 GET auth", "status_4xx"), 1);
    }
}

#[test]
fn a_limited_user_is_forbidden_after_logging_on() {
    let sim = start(config(&[], &[], &[]));
    let c = creds(&sim);
    let mut client = Client::vsa9(
        &sim.origin(),
        text(&c, "/vsa9/limited/username"),
        text(&c, "/vsa9/limited/token"),
        Vsa9Auth::Pat,
        options(fast_pacing()),
    )
    .unwrap();
    client.start_test_connection();
    let out = driver().run(&mut client);
    let report = out.report();
    assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::Forbidden);
    assert_eq!(report.requests_made, 2);
    let stats = stats(&sim);
    assert_eq!(counter(&stats, "vsa9 GET system/orgs", "status_4xx"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    for auth in vsa9_auths() {
        let mut client = Client::vsa9(
            &dead_origin(),
            "user",
            "token",
            auth,
            options(fast_pacing()),
        )
        .unwrap();
        client.start_test_connection();
        let out = driver().run(&mut client);
        let report = out.report();
        assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::Transport);
        assert_eq!(report.requests_made, fast_retry().max_attempts);
        assert!(out
            .exchanges
            .iter()
            .all(|e| e.url.ends_with("/api/v1.0/auth")));

        let web = NotFoundServer::start();
        let mut client =
            Client::vsa9(&web.origin, "user", "token", auth, options(fast_pacing())).unwrap();
        client.start_test_connection();
        let out = driver().run(&mut client);
        let report = out.report();
        assert_eq!(report.error.as_ref().unwrap().code(), ErrorCode::NotFound);
        assert_eq!(report.requests_made, 1);
        assert_eq!(web.hits(), 1);
    }
}

#[test]
fn agents_list_pages_exactly_once_with_either_logon() {
    for auth in vsa9_auths() {
        let sim = start(config(&[("vsa9.agents", 260)], &[], &[]));
        let mut client = vsa9(&sim, auth, fast_pacing());
        client
            .start_list("assetmgmt/agents", &ListOptions::default())
            .unwrap();
        let out = driver().run(&mut client);
        assert!(out.failed.is_empty(), "{:?}", out.failed);
        assert_exactly_once(&out.ids("AgentId"), 260);
        assert_eq!(
            out.pages.iter().map(|p| p.count).collect::<Vec<_>>(),
            [100, 100, 60]
        );
        assert_eq!(out.done, [(1, 4, 260)], "/auth + 3 pages");
        let stats = stats(&sim);
        assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 1);
        assert_eq!(counter(&stats, "vsa9 GET assetmgmt/agents", "requests"), 3);
    }
}

#[test]
fn a_cursor_resumes_in_a_new_session() {
    let sim = start(config(&[("vsa9.agents", 330)], &[], &[]));
    let mut first = vsa9(&sim, Vsa9Auth::Pat, fast_pacing());
    let small = ListOptions {
        page_size: Some(40),
        ..ListOptions::default()
    };
    first.start_list("assetmgmt/agents", &small).unwrap();
    let part = driver().run_until(
        &mut first,
        |e| matches!(e, Event::Page(p) if p.page_number == 3),
    );
    drop(first);
    let mut second = vsa9(&sim, Vsa9Auth::Password { nonce: NONCE }, fast_pacing());
    let resume = ListOptions {
        cursor: Some(part.last_cursor()),
        ..small
    };
    second.start_list("assetmgmt/agents", &resume).unwrap();
    let rest = driver().run(&mut second);
    assert!(rest.failed.is_empty(), "{:?}", rest.failed);
    let mut all = part.ids("AgentId");
    all.extend(rest.ids("AgentId"));
    assert_exactly_once(&all, 330);
    assert_eq!(rest.pages.first().map(|p| p.number), Some(4));
    let stats = stats(&sim);
    assert_eq!(
        counter(&stats, "vsa9 GET auth", "requests"),
        2,
        "one logon each"
    );
    assert_eq!(counter(&stats, "vsa9 GET assetmgmt/agents", "requests"), 9);
}

/// One request per `spacing_ms` (and VSA 9 has no documented limit to match).
fn spaced(spacing_ms: u64) -> PacingOptions {
    PacingOptions {
        windows: BTreeMap::from([(EndpointClass::Default, vec![RateWindow::new(1, spacing_ms)])]),
        ..fast_pacing()
    }
}

#[test]
fn a_session_that_expires_mid_list_is_renewed_and_the_list_completes() {
    for auth in vsa9_auths() {
        // Sessions of 0.4 s: under a minute, so the core cannot renew ahead of time and
        // learns of the expiry from the in-body 401 under HTTP 200.
        let mut cfg = config(&[("vsa9.agents", 1000)], &[], &[]);
        cfg.vsa9_session_secs = 0.4;
        let sim = start(cfg);
        let mut client = vsa9(&sim, auth, spaced(120));
        client
            .start_list("assetmgmt/agents", &ListOptions::default())
            .unwrap();
        let out = driver().run(&mut client);
        assert!(
            out.failed.is_empty(),
            "{}: {:?}",
            auth_name(auth),
            out.failed
        );
        assert_exactly_once(&out.ids("AgentId"), 1000);
        let stats = stats(&sim);
        let logons = counter(&stats, "vsa9 GET auth", "requests");
        let agents = counter(&stats, "vsa9 GET assetmgmt/agents", "requests");
        eprintln!(
            "{}: {logons} logons, {agents} agents requests",
            auth_name(auth)
        );
        assert!(
            logons >= 3,
            "{}: the session was renewed: {logons}",
            auth_name(auth)
        );
        // Each renewal after the first logon answers exactly one refused request.
        assert_eq!(agents - 10, logons - 1, "{}", auth_name(auth));
    }
}

#[test]
fn a_session_is_renewed_before_it_expires() {
    // 30 simulated minutes lasting 61.5 real seconds: the core renews when less than a
    // minute is left, 0.5 to 2.5 s after each logon (SessionExpiration and Date are whole
    // seconds), so no request is ever refused. The list runs over 3 s.
    let mut cfg = config(&[("vsa9.agents", 1000)], &[], &[]);
    cfg.time_scale = 1800.0 / 61.5;
    let sim = start(cfg);
    let mut client = vsa9(&sim, Vsa9Auth::Pat, spaced(300));
    client
        .start_list("assetmgmt/agents", &ListOptions::default())
        .unwrap();
    let out = driver().run(&mut client);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_exactly_once(&out.ids("AgentId"), 1000);
    let stats = stats(&sim);
    let logons = counter(&stats, "vsa9 GET auth", "requests");
    eprintln!("{logons} logons over {:?}", out.elapsed);
    assert!(logons >= 2, "renewed ahead of expiry: {logons} logons");
    assert_eq!(
        counter(&stats, "vsa9 GET assetmgmt/agents", "requests"),
        10,
        "no request was refused"
    );
}
