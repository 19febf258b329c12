//! `make bench-pacing`: the clients' pacing against model servers on a virtual clock.
//!
//! Each scenario drives real `Client`s (or, for Notify, a host with the public `Limiter`)
//! through the sans-IO loop against a model server that enforces the documented limits
//! exactly with strict sliding windows and answers 429 past them (see `pacing/model.rs`).
//! Nothing sleeps, no thread is started and nothing goes on a network: a request arrives
//! at the model when the client hands it out and its answer comes back a fixed virtual
//! latency later. The runs are deterministic (fixed jitter seeds), so the table is too.
//!
//! One line per scenario on stdout:
//!
//!   pacing <scenario> efficiency=<x.xxx> rejected=<n> key=value...
//!
//! - efficiency: requests completed / what an ideal sender completes in the same elapsed
//!   virtual time (same latency and concurrency, same limits; `pacing/oracle.rs`). It
//!   cannot read 1.000 when the client idles while a window has room. Exception:
//!   vsax-bad-secret, where it is the number of requests sent (must be 1).
//! - rejected: requests the model refused (429 for a limit or an IP block), anyone's.
//! - peak_<window>=n/limit: the most requests the model saw inside any such window
//!   (fail_* windows: failed requests; reaching their limit blocks the IP).
//! - target=ok|MISS: rejected = 0, no block, every peak within its limit, and efficiency
//!   >= 0.99 where a ceiling binds. The process exits with status 1 on any MISS.
//!
//! Then one `timing <scenario> wall_ms=<n>` line each (wall clock; the only part that
//! varies between runs).
//!
//! `cargo bench -p mspkit-core --bench pacing -- <part of a name>` runs matching scenarios
//! only; `PACING_TRACE=1` prints every request, answer and wait to stderr. Under
//! `cargo test --all-targets` only the self-checks of the model and the oracle run.

#[path = "pacing/model.rs"]
mod model;
#[path = "pacing/oracle.rs"]
mod oracle;
#[path = "pacing/sim.rs"]
mod sim;

use std::time::Instant;

use mspkit_core::{Client, ClientOptions, EndpointClass, Limiter, ListOptions, Vendor};
use mspkit_core::{Method, Request};

use model::{
    AutotaskModel, Meter, Server, VsaxModel, AUTOTASK_CODE, AUTOTASK_SECRET, AUTOTASK_USER, DAY,
    HOUR, SECOND, VSAX_HOST, VSAX_TOKEN_ID, VSAX_TOKEN_SECRET,
};
use oracle::{efficiency, ideal_completions};
use sim::{Proc, Sharing};

/// 2026-11-22T12:00:00Z, the virtual clock's start (any instant works).
const START: u64 = 1_795_348_800_000;
/// Every request's virtual round trip.
const LATENCY: u64 = 200;
/// A run longer than this is a client that never finishes.
const MAX_RUN: u64 = 3 * DAY;
const TARGET: f64 = 0.99;

/// One line of the table.
struct Line {
    scenario: &'static str,
    efficiency: f64,
    rejected: u64,
    fields: Vec<(String, String)>,
    /// Why the line misses its target (empty: it meets it).
    misses: Vec<String>,
    /// Whether efficiency is held to TARGET.
    ceiling: bool,
}

impl Line {
    fn new(scenario: &'static str, efficiency: f64, rejected: u64, ceiling: bool) -> Line {
        Line {
            scenario,
            efficiency,
            rejected,
            fields: Vec::new(),
            misses: Vec::new(),
            ceiling,
        }
    }

    fn field(&mut self, key: &str, value: impl ToString) -> &mut Line {
        self.fields.push((key.to_string(), value.to_string()));
        self
    }

    /// `peak_<name>=n/limit` for every limit of `meter`. A `fail_*` limit is reached
    /// only by a block, so its peak must stay below it.
    fn peaks(&mut self, meter: &Meter) -> &mut Line {
        for (limit, peak) in meter.peaks() {
            let over = if limit.name.starts_with("fail_") {
                peak >= limit.limit as usize
            } else {
                peak > limit.limit as usize
            };
            if over {
                self.misses
                    .push(format!("peak_{} {peak} over {}", limit.name, limit.limit));
            }
            self.field(
                &format!("peak_{}", limit.name),
                format!("{peak}/{}", limit.limit),
            );
        }
        self
    }

    fn check(&mut self, ok: bool, miss: impl ToString) -> &mut Line {
        if !ok {
            self.misses.push(miss.to_string());
        }
        self
    }

    fn finish(mut self) -> Line {
        if self.rejected > 0 {
            self.misses.push(format!("{} rejected", self.rejected));
        }
        if self.ceiling && self.efficiency < TARGET {
            self.misses
                .push(format!("efficiency {:.3} < {TARGET}", self.efficiency));
        }
        self
    }

    fn print(&self) {
        let mut text = format!(
            "pacing {} efficiency={:.3} rejected={}",
            self.scenario, self.efficiency, self.rejected
        );
        for (k, v) in &self.fields {
            text.push_str(&format!(" {k}={v}"));
        }
        text.push_str(if self.misses.is_empty() {
            " target=ok"
        } else {
            " target=MISS"
        });
        println!("{text}");
    }
}

fn vsax_client(secret: &str, seed: u64) -> Client {
    let options = ClientOptions {
        jitter_seed: seed,
        ..ClientOptions::default()
    };
    Client::vsax(
        &format!("https://{VSAX_HOST}"),
        VSAX_TOKEN_ID,
        secret,
        options,
    )
    .expect("valid VSA X settings")
}

/// Failed jobs by error code over every process (`-` when none failed).
fn failed_jobs(procs: &[Proc]) -> String {
    let mut all = std::collections::BTreeMap::new();
    for p in procs {
        for (code, n) in &p.stats.failed {
            *all.entry(code.clone()).or_insert(0) += n;
        }
    }
    if all.is_empty() {
        return "-".into();
    }
    let parts: Vec<String> = all.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    parts.join(",")
}

fn seconds(ms: u64) -> String {
    format!("{:.1}", ms as f64 / SECOND as f64)
}

/// Fields every list scenario reports, and the stall check.
fn common(line: &mut Line, procs: &[Proc], ideal: u64, elapsed: u64) {
    let stalls: u64 = procs.iter().map(|p| p.stats.stalls).sum();
    line.field("ideal", ideal)
        .field("virtual_s", seconds(elapsed))
        .check(
            stalls == 0,
            format!("{stalls} polls waited for a past instant"),
        );
}

/// One client lists `pages` pages of devices (100 each) at 3,600/h.
fn vsax_devices() -> Line {
    const PAGES: u64 = 10_000;
    let mut server = VsaxModel::new(PAGES * 100, 0);
    let mut client = vsax_client(VSAX_TOKEN_SECRET, 1);
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let mut procs = [Proc::new(client)];
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::None,
        MAX_RUN,
    );
    let stats = &procs[0].stats;
    let elapsed = stats.last_response - START;
    let ideal = ideal_completions(&[(3600, HOUR)], 1, LATENCY, elapsed);
    let mut line = Line::new(
        "vsax-devices",
        efficiency(stats.requests, ideal),
        server.tally.rejected,
        true,
    );
    line.field("requests", stats.requests)
        .field("pages", stats.pages)
        .check(
            stats.done == 1 && stats.items == PAGES * 100,
            "the list did not complete",
        );
    common(&mut line, &procs, ideal, elapsed);
    line.peaks(&server.all)
        .field("failures", server.tally.failures());
    line.finish()
}

/// Two processes on the same tenant, each listing devices, sharing pacing state through
/// a common "file" after every page.
fn vsax_two_processes() -> Line {
    const PAGES: u64 = 5_000;
    let mut server = VsaxModel::new(PAGES * 100, 0);
    let mut procs: Vec<Proc> = (1..=2)
        .map(|seed| {
            let mut client = vsax_client(VSAX_TOKEN_SECRET, seed);
            client
                .start_list("devices", &ListOptions::default())
                .unwrap();
            Proc::new(client)
        })
        .collect();
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::AfterEveryPage,
        MAX_RUN,
    );
    let requests: u64 = procs.iter().map(|p| p.stats.requests).sum();
    let end = procs.iter().map(|p| p.stats.last_response).max().unwrap();
    let elapsed = end - START;
    let ideal = ideal_completions(&[(3600, HOUR)], 2, LATENCY, elapsed);
    let mut line = Line::new(
        "vsax-two-processes",
        efficiency(requests, ideal),
        server.tally.rejected,
        true,
    );
    line.field("requests", requests)
        .field("requests_a", procs[0].stats.requests)
        .field("requests_b", procs[1].stats.requests)
        .field("failed", failed_jobs(&procs))
        .check(
            procs
                .iter()
                .all(|p| p.stats.done == 1 && p.stats.items == PAGES * 100),
            "a list did not complete",
        );
    common(&mut line, &procs, ideal, elapsed);
    line.peaks(&server.all)
        .field("failures", server.tally.failures());
    line.finish()
}

/// One client lists assets (60/h).
fn vsax_assets() -> Line {
    const PAGES: u64 = 150;
    let mut server = VsaxModel::new(0, PAGES * 100);
    let mut client = vsax_client(VSAX_TOKEN_SECRET, 3);
    client
        .start_list("assets", &ListOptions::default())
        .unwrap();
    let mut procs = [Proc::new(client)];
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::None,
        MAX_RUN,
    );
    let stats = &procs[0].stats;
    let elapsed = stats.last_response - START;
    let ideal = ideal_completions(&[(60, HOUR), (3600, HOUR)], 1, LATENCY, elapsed);
    let mut line = Line::new(
        "vsax-assets",
        efficiency(stats.requests, ideal),
        server.tally.rejected,
        true,
    );
    line.field("requests", stats.requests).check(
        stats.done == 1 && stats.items == PAGES * 100,
        "the list did not complete",
    );
    common(&mut line, &procs, ideal, elapsed);
    line.peaks(&server.assets_meter)
        .peaks(&server.all)
        .field("failures", server.tally.failures());
    line.finish()
}

/// A host sends Notify POSTs for a virtual day, paced by the public `Limiter`.
fn vsax_notify() -> Line {
    let mut server = VsaxModel::new(0, 0);
    let mut limiter = Limiter::documented(Vendor::Vsax, EndpointClass::Notify);
    let authorization = model::basic_authorization(VSAX_TOKEN_ID, VSAX_TOKEN_SECRET);
    let end = START + DAY;
    let mut now = START;
    let (mut sent, mut ok, mut last_response) = (0u64, 0u64, START);
    while let Some(at) = limiter.next_send_at(now) {
        if at >= end {
            break;
        }
        now = at;
        limiter.record(now);
        let request = Request {
            id: 0,
            method: Method::Post,
            url: format!("https://{VSAX_HOST}/api/v3/notifications"),
            headers: vec![
                ("Authorization".into(), authorization.clone()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(r#"{"InstanceId":"x","Title":"Disk full","Priority":"elevated"}"#.into()),
        };
        let reply = server.answer(now, &request, LATENCY);
        sent += 1;
        ok += u64::from(reply.status == 200);
        // One Notify in flight at a time: the host waits for the answer, and tells the
        // limiter when it came (the server counted the request before then).
        let sent_at = now;
        now += LATENCY;
        limiter.answered(sent_at, now);
        last_response = now;
    }
    let elapsed = last_response - START;
    let windows: Vec<(u32, u64)> = server
        .notify
        .limits
        .iter()
        .chain(&server.all.limits)
        .map(|l| (l.limit, l.per_ms))
        .collect();
    let ideal = ideal_completions(&windows, 1, LATENCY, elapsed);
    let mut line = Line::new(
        "vsax-notify",
        efficiency(sent, ideal),
        server.tally.rejected,
        true,
    );
    line.field("requests", sent)
        .field("ok", ok)
        .field("ideal", ideal)
        .field("virtual_s", seconds(elapsed))
        .peaks(&server.notify);
    line.finish()
}

/// Another integration sends 3,000/h to the tenant; the client lists Companies for
/// hours, so its 5,000/h share binds (10,000 - 3,000 would allow 7,000).
fn autotask_shared() -> Line {
    const PAGES: u64 = 12_000;
    const PAGE_SIZE: u32 = 50;
    const OTHERS_PER_HOUR: u64 = 3_000;
    // The other integration has been running for an hour already.
    let mut server = AutotaskModel::new(PAGES * u64::from(PAGE_SIZE))
        .with_background(OTHERS_PER_HOUR, START - HOUR);
    let options = ClientOptions {
        jitter_seed: 5,
        ..ClientOptions::default()
    };
    let share = options.pacing.autotask_share;
    let mut client = Client::autotask(
        AUTOTASK_USER,
        AUTOTASK_SECRET,
        AUTOTASK_CODE,
        None,
        None,
        options,
    )
    .expect("valid Autotask settings");
    client
        .start_list(
            "Companies",
            &ListOptions {
                page_size: Some(PAGE_SIZE),
                ..ListOptions::default()
            },
        )
        .unwrap();
    let mut procs = [Proc::new(client)];
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::None,
        MAX_RUN,
    );
    let stats = &procs[0].stats;
    let elapsed = stats.last_response - START;
    let share_limit = (10_000.0 * share) as u32;
    let allowed = share_limit.min(10_000 - OTHERS_PER_HOUR as u32);
    let ideal = ideal_completions(&[(allowed, HOUR)], 1, LATENCY, elapsed);
    let readings = server.readings.len();
    let mut line = Line::new(
        "autotask-shared",
        efficiency(stats.requests, ideal),
        server.tally.rejected,
        true,
    );
    line.field("requests", stats.requests)
        .field("pages", stats.pages)
        .field("threshold_reads", readings)
        .check(
            stats.done == 1 && stats.items == PAGES * u64::from(PAGE_SIZE),
            "the list did not complete",
        );
    common(&mut line, &procs, ideal, elapsed);
    let own_peak = server.ours.peak(HOUR);
    line.field("own_peak_1h", format!("{own_peak}/{allowed}"))
        .check(own_peak <= allowed as usize, "own share exceeded")
        .peaks(&server.tenant)
        .field("others", server.background_sent);
    line.finish()
}

/// Every answer is 401: the client must stop after one request.
fn vsax_bad_secret() -> Line {
    let mut server = VsaxModel::new(200_000, 0);
    let mut client = vsax_client("WRONG_SECRET", 6);
    client
        .start_list("devices", &ListOptions::default())
        .unwrap();
    let mut procs = [Proc::new(client)];
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::None,
        MAX_RUN,
    );
    let stats = &procs[0].stats;
    let requests = stats.requests;
    let mut line = Line::new(
        "vsax-bad-secret",
        requests as f64,
        server.tally.rejected,
        false,
    );
    let failed: Vec<String> = stats
        .failed
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    line.field("requests", requests)
        .field("status_401", server.tally.statuses.get(&401).unwrap_or(&0))
        .field("failed", failed.join(","))
        .check(requests == 1, format!("{requests} requests sent, not 1"));
    line.finish()
}

/// Many jobs whose every answer is 404 (notifications of devices that do not exist):
/// failures must stay below every block threshold; jobs that could only go on after the
/// failures age out for longer than max_wait end budget_exhausted.
fn vsax_404_storm() -> Line {
    const JOBS: u64 = 500;
    let mut server = VsaxModel::new(0, 0);
    let mut client = vsax_client(VSAX_TOKEN_SECRET, 7);
    for i in 0..JOBS {
        let resource = format!("devices/deadbeef-0000-4000-8000-{i:012}/notifications");
        client
            .start_list(&resource, &ListOptions::default())
            .unwrap();
    }
    let mut procs = [Proc::new(client)];
    sim::run(
        &mut server,
        &mut procs,
        START,
        LATENCY,
        Sharing::None,
        MAX_RUN,
    );
    let stats = &procs[0].stats;
    let elapsed = stats.last_response - START;
    let failures = server.tally.failures();
    // The ideal sender stays one below every block threshold, as reaching one blocks.
    let mut windows: Vec<(u32, u64)> = server
        .guard
        .failures
        .limits
        .iter()
        .map(|l| (l.limit - 1, l.per_ms))
        .collect();
    windows.push((3600, HOUR));
    let ideal = ideal_completions(&windows, 1, LATENCY, elapsed);
    let not_found = stats.failed.get("not_found").copied().unwrap_or(0);
    let exhausted = stats.failed.get("budget_exhausted").copied().unwrap_or(0);
    let ended: u64 = stats.failed.values().sum::<u64>() + stats.done;
    let mut line = Line::new(
        "vsax-404-storm",
        efficiency(failures, ideal),
        server.tally.rejected,
        true,
    );
    line.field("jobs", JOBS)
        .field("failures_sent", failures)
        .field("not_found", not_found)
        .field("budget_exhausted", exhausted)
        .field("blocks", server.guard.blocks)
        .check(server.guard.blocks == 0, "the IP was blocked")
        .check(ended == JOBS, format!("{ended} of {JOBS} jobs ended"));
    common(&mut line, &procs, ideal, elapsed);
    line.peaks(&server.guard.failures);
    line.finish()
}

/// Checks of the measuring tools themselves, on numbers worked out by hand.
fn self_check() {
    // 3 per second, 100 ms per request, each counted from its answer (+1 ms): sends at
    // 0, 100, 200 (answered 100, 200, 300), then 1101, 1201, 1301, then 2202, 2302, 2402
    // (answered by 2502).
    assert_eq!(ideal_completions(&[(3, 1000)], 1, 100, 2502), 9);
    assert_eq!(ideal_completions(&[(3, 1000)], 1, 100, 2501), 8);
    assert_eq!(ideal_completions(&[(3, 1000)], 1, 100, 2299), 6);
    assert_eq!(ideal_completions(&[(3, 1000)], 3, 100, 999), 3);
    assert_eq!(ideal_completions(&[(100, 1000)], 2, 100, 1000), 20);
    let mut meter = Meter::new(vec![model::Limit::new("1s", 3, 1000)]);
    for t in [0, 100, 200] {
        assert_eq!(meter.admit_at(t), t);
        meter.record(t);
    }
    assert_eq!(meter.admit_at(300), 1000);
    meter.record(1000);
    assert_eq!(meter.count_in(1000, 1000), 3);
    assert_eq!(meter.peak(1000), 3);
    assert_eq!(meter.peak(1001), 4);
}

/// A scenario: builds its clients and model, runs them, and returns its line.
type Scenario = fn() -> Line;

fn main() {
    self_check();
    // `cargo bench` passes --bench. Without it this is `cargo test --all-targets`
    // (`make test`): the self-checks above are the test; the scenarios, timed and slow
    // in a debug build, are for `make bench-pacing`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("pacing: self-checks passed; `make bench-pacing` runs the scenarios");
        return;
    }
    // A filter argument runs only the scenarios whose name contains it.
    let filter: Option<String> = args.into_iter().find(|a| !a.starts_with('-'));
    let scenarios: [(&str, Scenario); 7] = [
        ("vsax-devices", vsax_devices),
        ("vsax-two-processes", vsax_two_processes),
        ("vsax-assets", vsax_assets),
        ("vsax-notify", vsax_notify),
        ("autotask-shared", autotask_shared),
        ("vsax-bad-secret", vsax_bad_secret),
        ("vsax-404-storm", vsax_404_storm),
    ];
    println!(
        "# pacing against model servers on a virtual clock (latency {LATENCY} ms per request)"
    );
    println!("# efficiency = requests completed / an ideal sender's in the same virtual time (same limits, latency, concurrency); vsax-bad-secret: requests sent");
    let mut timings = Vec::new();
    let mut misses = Vec::new();
    for (name, scenario) in scenarios {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let started = Instant::now();
        let line = scenario();
        timings.push((name, started.elapsed().as_millis()));
        line.print();
        for miss in &line.misses {
            misses.push(format!("{name}: {miss}"));
        }
    }
    for (name, ms) in timings {
        println!("timing {name} wall_ms={ms}");
    }
    if !misses.is_empty() {
        for miss in &misses {
            eprintln!("MISS {miss}");
        }
        std::process::exit(1);
    }
}
