//! The real core against the simulated Kaseya VSA 9 REST API, with a personal access
//! token and with the legacy hashed password: sessions, lists, resume, session expiry.

mod common;
mod host;

use common::*;
use host::*;
use mspkit_core::{ErrorCode, ListOptions, PacingOptions, Vsa9Auth};

fn auth_name(auth: Vsa9Auth) -> &'static str {
    match auth {
        Vsa9Auth::Pat => "PAT",
        Vsa9Auth::Password { .. } => "password",
    }
}

const AGENTS: &str = "assetmgmt/agents";

/// Lists every agent with `pacing`; returns the logons and the agents requests it took.
fn list_agents(sim: &Sim, auth: Vsa9Auth, pacing: PacingOptions, agents: usize) -> (u64, u64) {
    let out = list(vsa9(sim, auth, pacing), AGENTS, &ListOptions::default());
    out.assert_complete("AgentId", agents);
    let stats = sim.stats();
    let logons = counter(&stats, "vsa9 GET auth", "requests");
    let requests = counter(&stats, "vsa9 GET assetmgmt/agents", "requests");
    eprintln!(
        "{}: {logons} logons, {requests} agents requests over {:?}",
        auth_name(auth),
        out.elapsed
    );
    (logons, requests)
}

#[test]
fn connection_test_logs_on_then_counts_organizations() {
    for auth in vsa9_auths() {
        let sim = Sim::start(small(&[("vsa9.orgs", 9)]));
        let out = connect(vsa9(&sim, auth, fast_pacing()));
        let message = "Connected to Kaseya VSA 9: 9 organizations";
        let requests = 2; // /auth, then system/orgs
        let name = auth_name(auth);
        assert_eq!(out.connected(), (Some(9), message, requests), "{name}");
        let stats = sim.stats();
        assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 1);
        assert_eq!(counter(&stats, "vsa9 GET system/orgs", "requests"), 1);
    }
}

#[test]
fn a_wrong_token_or_password_fails_unauthorized_at_auth_alone() {
    for auth in vsa9_auths() {
        let sim = Sim::small();
        let user = sim.cred("vsa9", "username");
        let out = connect(vsa9_as(
            &sim.origin(),
            user,
            "wrong-token-or-password",
            auth,
        ));
        let name = auth_name(auth);
        assert_eq!(out.refusal(), (ErrorCode::Unauthorized, 1), "{name}");
        let stats = sim.stats();
        assert_eq!(
            vendor_counter(&stats, "vsa9", "requests"),
            1,
            "{name}: only /auth: {:?}",
            requests_by_endpoint(&stats)
        );
        assert_eq!(counter(&stats, "vsa9 GET auth", "status_4xx"), 1);
    }
}

#[test]
fn a_limited_user_is_forbidden_after_logging_on() {
    let sim = Sim::small();
    let limited = &sim.run.sim.credentials.vsa9.limited;
    let client = vsa9_as(
        &sim.origin(),
        &limited.username,
        &limited.token,
        Vsa9Auth::Pat,
    );
    assert_eq!(connect(client).refusal(), (ErrorCode::Forbidden, 2));
    let stats = sim.stats();
    assert_eq!(counter(&stats, "vsa9 GET system/orgs", "status_4xx"), 1);
}

#[test]
fn wrong_urls_fail_as_transport_and_not_found() {
    for auth in vsa9_auths() {
        let (dead, _) = assert_wrong_urls_fail(|origin| vsa9_as(origin, "user", "token", auth));
        assert!(dead
            .exchanges
            .iter()
            .all(|e| e.url.ends_with("/api/v1.0/auth")));
    }
}

#[test]
fn agents_list_pages_exactly_once_with_either_logon() {
    for auth in vsa9_auths() {
        let sim = Sim::start(small(&[("vsa9.agents", 260)]));
        let out = list(
            vsa9(&sim, auth, fast_pacing()),
            AGENTS,
            &ListOptions::default(),
        );
        out.assert_complete("AgentId", 260);
        let counts: Vec<usize> = out.pages.iter().map(|p| p.count).collect();
        assert_eq!(counts, [100, 100, 60]);
        assert_eq!(out.done, [(1, 4, 260)], "/auth + 3 pages");
        let stats = sim.stats();
        assert_eq!(counter(&stats, "vsa9 GET auth", "requests"), 1);
        assert_eq!(counter(&stats, "vsa9 GET assetmgmt/agents", "requests"), 3);
    }
}

#[test]
fn a_cursor_resumes_in_a_new_session() {
    let sim = Sim::start(small(&[("vsa9.agents", 330)]));
    let first = vsa9(&sim, Vsa9Auth::Pat, fast_pacing());
    let second = vsa9(&sim, Vsa9Auth::Password { nonce: NONCE }, fast_pacing());
    let pages_of_40 = ListOptions {
        page_size: Some(40),
        ..ListOptions::default()
    };
    let (part, rest) = resume(first, second, AGENTS, &pages_of_40, 3);
    assert_resumed(&part, &rest, "AgentId", 330);
    assert_eq!(rest.pages.first().map(|p| p.number), Some(4));
    let stats = sim.stats();
    let logons = counter(&stats, "vsa9 GET auth", "requests");
    assert_eq!(logons, 2, "one logon each");
    assert_eq!(counter(&stats, "vsa9 GET assetmgmt/agents", "requests"), 9);
}

#[test]
fn a_session_that_expires_mid_list_is_renewed_and_the_list_completes() {
    for auth in vsa9_auths() {
        // Sessions of 0.4 s: under a minute, so the core cannot renew ahead of time and
        // learns of the expiry from the in-body 401 under HTTP 200. One request per 120 ms
        // (VSA 9 has no documented limit to match).
        let mut cfg = small(&[("vsa9.agents", 1000)]);
        cfg.vsa9_session_secs = 0.4;
        let sim = Sim::start(cfg);
        let (logons, agents) = list_agents(&sim, auth, window(1, 120), 1000);
        let name = auth_name(auth);
        assert!(logons >= 3, "{name}: the session was renewed: {logons}");
        // Each renewal after the first logon answers exactly one refused request.
        assert_eq!(agents - 10, logons - 1, "{name}");
    }
}

#[test]
fn a_session_is_renewed_before_it_expires() {
    // 30 simulated minutes lasting 61.5 real seconds: the core renews when less than a
    // minute is left, 0.5 to 2.5 s after each logon (SessionExpiration and Date are whole
    // seconds), so no request is ever refused. The list, one request per 300 ms, runs
    // over 3 s.
    let mut cfg = small(&[("vsa9.agents", 1000)]);
    cfg.time_scale = 1800.0 / 61.5;
    let sim = Sim::start(cfg);
    let (logons, agents) = list_agents(&sim, Vsa9Auth::Pat, window(1, 300), 1000);
    assert!(logons >= 2, "renewed ahead of expiry: {logons} logons");
    assert_eq!(agents, 10, "no request was refused");
}
