//! VSA 9 REST responses to list and connection-test requests (after a canned logon):
//! fuzzed status, headers, body. Control bits pick PAT or legacy password logon.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_fuzz::{job_replies_target, Setup};

fuzz_target!(|data: &[u8]| job_replies_target(&[Setup::Vsa9Pat, Setup::Vsa9Password], data));
