//! The host side shared by the examples: the loop that drives a `Client`, and what it
//! prints. Each example brings its own fake server and its own story in `main`.
//!
//! The core does no I/O. A host polls it for an `Action` and does what it says:
//! - `Send`: send the request, hand the response back with `handle_response`;
//! - `Wait`: sleep until then, and poll again;
//! - `Event`: a page, the end of a list, a failure, a connection test result.
//!
//! Here "send" is a call to a fake server and "sleep" moves a fake clock forward. In a real
//! program they are your HTTP client (on a timeout or a refused connection, call
//! `handle_transport_error` instead of `handle_response`) and a real sleep.

// Each example compiles this module on its own, and none uses all of it.
#![allow(dead_code)]

use mspkit_core::{Action, Client, Error, Event, Request};
use serde_json::Value;

/// 2026-11-22T12:00:00Z: where the fake clock starts. Any Unix time works; the core only
/// compares the instants it is given.
pub const START_MS: u64 = 1_795_348_800_000;

/// How long one request takes on the fake network.
const ROUND_TRIP_MS: u64 = 250;

/// A vendor's server, as the host reaches it: a status and a body for each request.
pub trait Server {
    /// Answers `request` at the host's time `now_ms` (which only servers with sessions use).
    fn answer(&mut self, request: &Request, now_ms: u64) -> (u16, String);
}

/// What an example calls its items, and what else it shows.
#[derive(Default)]
pub struct Show {
    /// What the items are, in the plural: "devices", "agents", "companies".
    pub noun: &'static str,
    /// The field printed as an item's name in a page's "e.g. ...".
    pub name_field: &'static str,
    /// Another field printed after the name, in parentheses.
    pub detail_field: Option<&'static str>,
    /// Added to the end of a list's "done" line.
    pub done_note: &'static str,
    /// Print the scheme of each request's Authorization header ("Basic", "Bearer").
    pub auth_scheme: bool,
}

/// The host: an HTTP client (here a fake server) and a clock (here a counter).
pub struct Host<S> {
    pub server: S,
    pub now_ms: u64,
    pub show: Show,
    /// Each page delivered: its number and cursor. A real program saves the latest cursor
    /// with the page's items, so that a job stopped half-way can resume after that page.
    pub pages: Vec<(u32, String)>,
}

impl<S: Server> Host<S> {
    pub fn new(server: S, show: Show) -> Self {
        Host {
            server,
            now_ms: START_MS,
            show,
            pages: Vec::new(),
        }
    }

    /// The host loop: poll, do what the action says, until the client is idle.
    pub fn run(&mut self, client: &mut Client) -> Result<(), Error> {
        self.run_until(client, |_| false)
    }

    /// The same loop, but it returns just after an event for which `stop` is true. The
    /// client keeps its jobs: the next `run` carries on where this one stopped.
    pub fn run_until(
        &mut self,
        client: &mut Client,
        stop: impl Fn(&Event) -> bool,
    ) -> Result<(), Error> {
        while let Some(action) = client.poll(self.now_ms) {
            match action {
                Action::Send(request) => {
                    self.log(&request);
                    let (status, body) = self.server.answer(&request, self.now_ms);
                    self.now_ms += ROUND_TRIP_MS;
                    let headers = [("Content-Type".to_string(), "application/json".to_string())];
                    client.handle_response(
                        request.id,
                        status,
                        &headers,
                        body.as_bytes(),
                        self.now_ms,
                    )?;
                }
                // A real host sleeps until then; the fake clock just jumps.
                Action::Wait { until_ms } => self.now_ms = self.now_ms.max(until_ms),
                Action::Event(event) => {
                    if let Event::Page(page) = &event {
                        self.pages.push((page.page_number, page.cursor.clone()));
                    }
                    self.print_event(&event);
                    if stop(&event) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Logs the method, URL and body of a request, and never a header value: headers
    /// carry the credentials.
    fn log(&self, request: &Request) {
        if self.show.auth_scheme {
            let scheme = request
                .header("Authorization")
                .and_then(|value| value.split(' ').next())
                .unwrap_or("no auth");
            println!("  {} {}  [{scheme}]", request.method, request.url);
        } else {
            println!("  {} {}", request.method, request.url);
        }
        if let Some(body) = &request.body {
            println!("       body {body}");
        }
    }

    /// What a user would see for each event.
    fn print_event(&self, event: &Event) {
        let noun = self.show.noun;
        match event {
            Event::Page(page) => {
                let names: Vec<String> = page
                    .items
                    .to_values()
                    .iter()
                    .take(2)
                    .map(|item| self.name(item))
                    .collect();
                let total = page
                    .total
                    .map_or("total: not sent".to_string(), |t| format!("total {t}"));
                println!(
                    "  page {}: {} {noun} ({total}), e.g. {}",
                    page.page_number,
                    page.items.len(),
                    names.join(", ")
                );
            }
            Event::Done {
                items,
                requests_made,
                ..
            } => println!(
                "  done: {items} {noun} in {}{}",
                plural(*requests_made, "request"),
                self.show.done_note
            ),
            Event::Failed { error, .. } => {
                println!("  failed [{}]: {}", error.code().as_str(), error.message());
                println!("  what to do: {}", error.remediation());
            }
            Event::Connection { report, .. } => {
                let sent = plural(report.requests_made, "request");
                println!("  {}  ({sent})", report.message);
                if let Some(error) = &report.error {
                    let status = error
                        .status()
                        .map_or(String::new(), |s| format!(", HTTP {s}"));
                    println!("  error code:  {}{status}", error.code().as_str());
                    if let Some(said) = error.vendor_message() {
                        println!("  server said: {said}");
                    }
                    println!("  what to do:  {}", error.remediation());
                }
            }
        }
    }

    /// An item's name, as `Show` says: "ACME-WS-001", or "PC-0001 (Windows 11)".
    fn name(&self, item: &Value) -> String {
        let field = |name: &str| item[name].as_str().unwrap_or("?").to_string();
        match self.show.detail_field {
            Some(detail) => format!("{} ({})", field(self.show.name_field), field(detail)),
            None => field(self.show.name_field),
        }
    }
}

/// "1 request", "3 requests".
fn plural(n: u32, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
