//! Autotask responses to query, query/next, query/count requests (after canned zone
//! discovery, or with a configured zone; next-link or keyset paging).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_fuzz::{job_replies_target, Setup};

fuzz_target!(|data: &[u8]| job_replies_target(
    &[
        Setup::AutotaskDiscover,
        Setup::AutotaskZone,
        Setup::AutotaskKeyset
    ],
    data
));
