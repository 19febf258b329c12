//! Retry-After through the client: 429 and 503 responses (or the record's own status)
//! with fuzzed Retry-After and Date headers, one per attempt, to a list job.
//!
//! Input: byte 0 picks the vendor, the status policy and the clock step; the rest is
//! reply records (`STATUS\nRetry-After: ...\nDate: ...\n\nBODY`, separated by 0x1E).
//! Properties (beyond the host-loop checks): after a 429 or 503 whose Retry-After is
//! delta-seconds, or an HTTP-date that the `httpdate` crate reads (measured against the
//! response's Date when it has one), the job's next request goes out no earlier than
//! that; a Wait always lies in the future.
#![no_main]
use std::time::UNIX_EPOCH;

use libfuzzer_sys::fuzz_target;
use mspkit_core::{Action, Request};
use mspkit_fuzz::{
    canned, list_options, parse_replies, request_kind, Bytes, Kind, Reply, Setup, Tracker, T0,
};

const SETUPS: [Setup; 4] = [
    Setup::Vsax,
    Setup::Warehouse,
    Setup::AutotaskZone,
    Setup::Vsa9Pat,
];

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn http_date_ms(text: &str) -> Option<i128> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let ms = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i128,
        Err(e) => -(e.duration().as_millis() as i128),
    };
    Some(ms)
}

/// The delay the server asked for, as the HTTP spec reads it; None when unreadable.
fn expected_delay_ms(headers: &[(String, String)], now_ms: u64) -> Option<u64> {
    let value = header(headers, "retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = http_date_ms(value)?;
    let reference = header(headers, "date")
        .and_then(http_date_ms)
        .unwrap_or(i128::from(now_ms));
    Some(u64::try_from((at - reference).max(0)).unwrap_or(u64::MAX))
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let control = bytes.byte();
    let setup = SETUPS[usize::from(control & 3)];
    let force_status = match control >> 2 & 3 {
        0 => Some(429),
        1 => Some(503),
        2 => Some(if control & 0x40 != 0 { 429 } else { 503 }),
        _ => None,
    };
    let step_ms = [0, 100, 1_000, 61_000][usize::from(control >> 6 & 3)];
    let mut replies = parse_replies(bytes.rest(), 8).into_iter();

    let mut client = setup.client();
    let mut tracker = Tracker::new(setup);
    let job = client
        .start_list(setup.resource(), &list_options())
        .expect("valid list options");
    tracker.start(job, true);

    let mut now = T0;
    let mut outstanding: Vec<Request> = Vec::new();
    // No request of the job may go out before this (the last Retry-After).
    let mut not_before: Option<u64> = None;
    for _ in 0..400 {
        let request = match client.poll(now) {
            Some(Action::Send(request)) => {
                setup.check_destination(&request);
                tracker.on_send(&request);
                if request_kind(setup, &request) == Kind::Page {
                    if let Some(t) = not_before.take() {
                        assert!(now >= t, "sent at {now}, before Retry-After allowed ({t})");
                    }
                }
                outstanding.push(request);
                continue;
            }
            Some(Action::Event(event)) => {
                tracker.on_event(&event);
                continue;
            }
            Some(Action::Wait { until_ms }) if outstanding.is_empty() => {
                assert!(until_ms > now, "Wait until {until_ms} is not after {now}");
                now = until_ms;
                continue;
            }
            Some(Action::Wait { .. }) | None if !outstanding.is_empty() => outstanding.remove(0),
            _ => {
                assert!(client.is_idle(), "poll returned None but jobs remain");
                tracker.finish();
                return;
            }
        };
        now = now.saturating_add(step_ms);
        let kind = request_kind(setup, &request);
        let reply = match kind {
            Kind::Logon | Kind::Zone | Kind::Threshold => canned(setup, kind, 0),
            _ => match replies.next() {
                Some(Reply::Response {
                    status,
                    headers,
                    body,
                }) => {
                    let status = force_status.unwrap_or(status);
                    if matches!(status, 429 | 503) {
                        not_before =
                            expected_delay_ms(&headers, now).map(|d| now.saturating_add(d));
                    }
                    Reply::Response {
                        status,
                        headers,
                        body,
                    }
                }
                Some(other) => other,
                None => Reply::closing(),
            },
        };
        let result = match &reply {
            Reply::Response {
                status,
                headers,
                body,
            } => client.handle_response(request.id, *status, headers, body, now),
            Reply::Transport { kind, message } => {
                client.handle_transport_error(request.id, *kind, message, now)
            }
        };
        assert!(result.is_ok(), "an in-flight answer was refused");
    }
    panic!("the client did not finish within 400 steps");
});
