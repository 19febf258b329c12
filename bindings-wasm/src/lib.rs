//! mspkit-wasm: mspkit-core for JavaScript (browser and Node) through wasm-bindgen.
//!
//! A thin translation: JS options objects become the core's arguments, actions and events
//! become JSON text (a page's records spliced in as the server sent them, so one
//! `JSON.parse` in JS builds every object), errors become the fields of `MspkitError`.
//! The npm package's hand-written ES modules (pkg-src/) wrap `NativeClient` into the
//! public `Client` and hold the fetch-based host drivers. Every decision is the core's.

#![forbid(unsafe_code)]

mod actions;
mod args;
mod client;
mod errors;
mod fields;
mod options;
mod relay;

pub use client::NativeClient;
