//! The simulator's own endpoints under /_sim: counters, reset, and a trivial baseline.

use serde_json::json;

use crate::config::Overrides;
use crate::http::{SimRequest, SimResponse};
use crate::sim::Sim;

pub fn handle(sim: &Sim, req: &SimRequest, path: &[String]) -> SimResponse {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["stats"]) => SimResponse::json(200, &stats(sim)),
        ("POST", ["reset"]) => reset(sim, &req.body),
        // The cheapest answer the server can give: the baseline for `make bench-sim`.
        ("GET", ["ping"]) => SimResponse::text(200, "pong"),
        (_, ["stats" | "reset" | "ping"]) => SimResponse::json(
            405,
            &json!({"error": "GET /_sim/stats, POST /_sim/reset, GET /_sim/ping"}),
        ),
        _ => SimResponse::json(404, &json!({"error": "No such simulator endpoint"})),
    }
}

fn stats(sim: &Sim) -> serde_json::Value {
    let state = sim.lock();
    let c = &state.config.counts;
    let mut report = state.stats.report();
    report["uptime_ms"] = json!(sim.started.elapsed().as_millis() as u64);
    report["time_scale"] = json!(state.config.time_scale);
    report["limits"] = state.rates.report();
    report["vsax_failed"] = state.failed.report();
    report["vsa9_sessions"] = json!(state.sessions.len());
    report["records"] = json!({
        "vsax.organizations": c.vsax_organizations,
        "vsax.sites": c.vsax_sites,
        "vsax.groups": c.vsax_groups,
        "vsax.devices": c.vsax_devices,
        "vsax.notifications": c.vsax_notifications,
        "vsax.assets": c.vsax_assets,
        "vsa9.orgs": c.vsa9_orgs,
        "vsa9.machine_groups": c.vsa9_machine_groups,
        "vsa9.agents": c.vsa9_agents,
        "autotask.companies": c.autotask_companies,
        "autotask.contacts": c.autotask_contacts,
        "autotask.tickets": c.autotask_tickets,
        "autotask.configuration_items": c.autotask_configuration_items,
    });
    report
}

fn reset(sim: &Sim, body: &[u8]) -> SimResponse {
    let overrides = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Overrides::default())
    } else {
        serde_json::from_slice::<Overrides>(body)
            .map_err(|e| format!("The reset body is not valid: {e}"))
    };
    match overrides.and_then(|o| o.apply(&sim.startup)) {
        Ok(config) => {
            sim.reset(config);
            SimResponse::json(200, &json!({"ok": true}))
        }
        Err(problem) => SimResponse::json(400, &json!({"ok": false, "error": problem})),
    }
}
