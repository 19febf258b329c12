//! VSA 9 Data Warehouse (OData) responses to list and connection-test requests.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_fuzz::{job_replies_target, Setup};

fuzz_target!(|data: &[u8]| job_replies_target(&[Setup::Warehouse], data));
