//! `import_state` on each vendor's client with fuzzed text, then a list driven by the
//! canned server.
//!
//! Input: byte 0 picks the setup (low 3 bits) and how the rest is used: as the whole
//! state, as the `autotask_zone` of a well-formed state, or (when it is JSON) as its
//! `pacing` part.
//! Properties: a refusal is invalid_config or unsafe_link and changes nothing that
//! matters; after any import the client still only contacts its tenant (an imported
//! zone must be an Autotask host); every export_state, before and after the run, is
//! accepted by import_state of a new client; no export shows a secret.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mspkit_core::ErrorCode;
use mspkit_fuzz::{check_url_error, list_options, Bytes, Mode, Script, Tracker, SETUPS, T0};
use serde_json::{json, Value};

fn vendor_id(setup: mspkit_fuzz::Setup) -> &'static str {
    setup.client().vendor().id()
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let control = bytes.byte();
    let setup = SETUPS[usize::from(control & 7) % SETUPS.len()];
    let text = String::from_utf8_lossy(bytes.rest()).into_owned();
    let state = match control >> 3 & 3 {
        1 => json!({"v": 1, "vendor": vendor_id(setup), "autotask_zone": text}).to_string(),
        2 => match serde_json::from_str::<Value>(&text) {
            Ok(pacing) => json!({"v": 1, "vendor": vendor_id(setup), "pacing": pacing}).to_string(),
            Err(_) => text,
        },
        _ => text,
    };

    let mut client = setup.client();
    let before = client.export_state();
    match client.import_state(&state) {
        Ok(()) => {}
        Err(e) => {
            assert!(
                matches!(e.code(), ErrorCode::InvalidConfig | ErrorCode::UnsafeLink),
                "{e}"
            );
            // An imported zone's path may be quoted (by design), and may carry anything.
            check_url_error(&e, &setup.secrets());
            assert_eq!(
                client.export_state(),
                before,
                "a refused import changed the state"
            );
        }
    }
    let round_trip = |exported: &str| {
        let mut fresh = setup.client();
        if let Err(e) = fresh.import_state(exported) {
            panic!("export_state is not importable: {e}");
        }
    };
    round_trip(&client.export_state());

    let script = Script {
        setup,
        jobs: mspkit_fuzz::Jobs::from_bits(control >> 5),
        mode: Mode::JobReplies { canned_pages: 3 },
        clock_step_ms: 100,
        replies: Vec::new(),
    };
    let mut tracker = Tracker::new(setup);
    if matches!(
        script.jobs,
        mspkit_fuzz::Jobs::Connection | mspkit_fuzz::Jobs::Both
    ) {
        tracker.start(client.start_test_connection(), false);
    }
    if matches!(
        script.jobs,
        mspkit_fuzz::Jobs::List | mspkit_fuzz::Jobs::Both
    ) {
        let job = client
            .start_list(setup.resource(), &list_options())
            .expect("valid list options");
        tracker.start(job, true);
    }
    // drive() also checks that neither export_state nor the client's Debug shows a secret.
    mspkit_fuzz::drive(&mut client, &mut tracker, &script, T0);
    round_trip(&client.export_state());
});
