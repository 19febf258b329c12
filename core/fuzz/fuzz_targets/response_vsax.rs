//! VSA X responses to list and connection-test requests: fuzzed status, headers, body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_fuzz::{job_replies_target, Setup};

fuzz_target!(|data: &[u8]| job_replies_target(&[Setup::Vsax], data));
