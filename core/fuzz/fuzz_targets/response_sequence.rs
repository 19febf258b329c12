//! Several fuzzed responses in a row, to every request a client makes: VSA 9 logon then
//! pages, Autotask zone discovery then queries and ThresholdInformation, VSA X and Data
//! Warehouse page chains. First byte: setup; second: jobs and clock step.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_fuzz::{clock_step, parse_replies, run, Bytes, Jobs, Mode, Script, SETUPS};

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let setup = SETUPS[usize::from(bytes.byte()) % SETUPS.len()];
    let control = bytes.byte();
    run(&Script {
        setup,
        jobs: Jobs::from_bits(control),
        mode: Mode::Sequence,
        clock_step_ms: clock_step(control >> 2),
        replies: parse_replies(bytes.rest(), 12),
    });
});
