//! The host side: the real sans-IO loop of each client on one virtual clock.
//!
//! `poll(now)` → `Send`: the model answers at `now` (the arrival) and the response is
//! handed back at `now + latency`; `Wait { until_ms }`: the client sleeps until then;
//! `Event`: collected. Several clients (processes) run side by side; the clock jumps to
//! the next response or wake-up of any of them. Nothing sleeps and nothing is sent.

use std::collections::BTreeMap;

use mspkit_core::{Action, Client, Event, RequestId};

use super::model::{Reply, Server};

/// One client and what its host has seen.
pub struct Proc {
    pub client: Client,
    /// Responses on their way back: (arrives at, request, reply).
    pending: Vec<(u64, RequestId, Reply)>,
    wake: Option<u64>,
    pub stats: Stats,
}

/// What happened to one client.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub requests: u64,
    pub pages: u64,
    pub items: u64,
    pub done: u64,
    /// Failed jobs by error code.
    pub failed: BTreeMap<String, u64>,
    /// When the last response was handed back.
    pub last_response: u64,
    /// Polls that asked to wait until an instant already past (would spin a real host).
    pub stalls: u64,
}

impl Proc {
    pub fn new(client: Client) -> Proc {
        Proc {
            client,
            pending: Vec::new(),
            wake: None,
            stats: Stats::default(),
        }
    }
}

/// How the processes share pacing state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    None,
    /// After every page: read the shared file (`import_state`), then write it
    /// (`export_state`), as two processes with a common state file would.
    AfterEveryPage,
}

/// Runs every process until none has anything left to do; returns the final time.
/// Panics when the virtual run exceeds `max_ms` (a client that never finishes).
pub fn run<S: Server>(
    server: &mut S,
    procs: &mut [Proc],
    start: u64,
    latency: u64,
    sharing: Sharing,
    max_ms: u64,
) -> u64 {
    let mut now = start;
    let mut shared: Option<String> = None;
    // PACING_TRACE=1 prints every request and answer (for diagnosing a scenario).
    let trace = std::env::var_os("PACING_TRACE").is_some();
    loop {
        for (i, p) in procs.iter_mut().enumerate() {
            p.pending.sort_by_key(|(at, _, _)| *at);
            while p.pending.first().is_some_and(|(at, _, _)| *at <= now) {
                let (at, id, reply) = p.pending.remove(0);
                if trace {
                    eprintln!(
                        "trace t={} proc={i} answer id={id} status={}",
                        at - start,
                        reply.status
                    );
                }
                p.client
                    .handle_response(id, reply.status, &reply.headers, &reply.body, at)
                    .expect("the id came from poll");
                p.stats.last_response = at;
            }
            p.wake = None;
            while let Some(action) = p.client.poll(now) {
                match action {
                    Action::Send(request) => {
                        let reply = server.answer(now, &request, latency);
                        if trace {
                            eprintln!(
                                "trace t={} proc={i} send id={} {} {} -> {}",
                                now - start,
                                request.id,
                                request.method,
                                request.url,
                                reply.status
                            );
                        }
                        p.stats.requests += 1;
                        p.pending.push((now + latency, request.id, reply));
                    }
                    Action::Wait { until_ms } => {
                        if until_ms <= now {
                            p.stats.stalls += 1;
                        }
                        if trace {
                            eprintln!(
                                "trace t={} proc={i} wait until {}",
                                now - start,
                                until_ms - start
                            );
                        }
                        p.wake = Some(until_ms.max(now + 1));
                        break;
                    }
                    Action::Event(event) => match event {
                        Event::Page(page) => {
                            p.stats.pages += 1;
                            p.stats.items += page.items.len() as u64;
                            if sharing == Sharing::AfterEveryPage {
                                if let Some(state) = &shared {
                                    p.client
                                        .import_state(state)
                                        .expect("state written by export_state");
                                }
                                shared = Some(p.client.export_state());
                            }
                        }
                        Event::Done { .. } => p.stats.done += 1,
                        Event::Failed { error, .. } => {
                            if trace {
                                eprintln!("trace t={} proc={i} failed: {error:?}", now - start);
                            }
                            *p.stats
                                .failed
                                .entry(error.code().as_str().to_string())
                                .or_default() += 1;
                        }
                        Event::Connection { .. } => {}
                    },
                }
            }
        }
        let next = procs
            .iter()
            .flat_map(|p| p.pending.iter().map(|(at, _, _)| *at).chain(p.wake))
            .min();
        match next {
            Some(t) => {
                assert!(t >= now, "time would run backwards");
                assert!(
                    t - start <= max_ms,
                    "the run did not finish within {} virtual hours",
                    max_ms / 3_600_000
                );
                now = t;
            }
            None => return now,
        }
    }
}
