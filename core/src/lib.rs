//! mspkit-core: a sans-IO client core for Kaseya VSA X, Kaseya VSA 9 (REST and Data
//! Warehouse) and Autotask PSA.
//!
//! The core builds signed requests, parses paged responses and decides what happens
//! next; it performs no I/O and reads no clock. The host sends requests with its own
//! HTTP client and passes the time in:
//!
//! ```no_run
//! use mspkit_core::{Action, Client, ClientOptions, Event, ListOptions};
//!
//! # fn send(_: &mspkit_core::Request) -> (u16, Vec<(String, String)>, Vec<u8>) { unimplemented!() }
//! # fn now_ms() -> u64 { 0 }
//! let mut client = Client::vsax("acme.vsax.net", "TOKEN_ID", "TOKEN_SECRET", ClientOptions::default())?;
//! client.start_list("devices", &ListOptions::default())?;
//! while let Some(action) = client.poll(now_ms()) {
//!     match action {
//!         Action::Send(request) => {
//!             let (status, headers, body) = send(&request);
//!             client.handle_response(request.id, status, &headers, &body, now_ms())?;
//!         }
//!         Action::Wait { until_ms } => { /* sleep until until_ms */ }
//!         Action::Event(Event::Page(page)) => println!("{} devices", page.items.len()),
//!         Action::Event(Event::Failed { error, .. }) => return Err(error),
//!         Action::Event(_) => {}
//!     }
//! }
//! # Ok::<(), mspkit_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
pub(crate) mod classify;
mod client;
mod cursor;
pub mod error;
mod event;
pub mod items;
pub(crate) mod json;
mod listing;
pub mod odata;
pub mod pacing;
mod record_repair;
pub mod relay;
pub mod request;
pub mod secret;
mod state;
pub mod tenant_url;
pub(crate) mod timestamp;
pub mod vendor;
pub(crate) mod vendors;

pub use auth::Vsa9Auth;
pub use client::{Client, ClientOptions};
pub use error::{Error, ErrorCode};
pub use event::{Action, ConnectionReport, Event, JobId, Page, TransportErrorKind};
pub use items::Items;
pub use listing::{AutotaskPaging, Filter, ListOptions};
pub use pacing::{EndpointClass, FailureGuard, Limiter, PacingOptions, RateWindow, RetryPolicy};
pub use request::{Method, Request, RequestId};
pub use secret::Secret;
pub use vendor::Vendor;
