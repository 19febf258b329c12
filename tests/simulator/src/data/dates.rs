//! Timestamps: Unix seconds and their ISO 8601 UTC text, without a date-time dependency.
//!
//! All generated dates fall between `START` and `NOW`, fixed instants rather than the wall
//! clock, so the same seed gives the same data on any day.

use fastrand::Rng;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) for a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

const DAY: i64 = 86_400;

/// 2024-01-01T00:00:00Z: the oldest generated record.
pub const START: i64 = days_from_civil(2024, 1, 1) * DAY;
/// 2026-11-15T12:00:00Z: the simulated "now" (last check-ins, newest tickets).
pub const NOW: i64 = days_from_civil(2026, 11, 15) * DAY + 12 * 3600;

/// `2026-11-01T09:30:00Z`.
pub fn iso(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(DAY));
    let s = unix.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `2026-11-01T09:30:00.123Z`: Autotask returns milliseconds on its date-times.
pub fn iso_millis(unix: i64, millis: u32) -> String {
    let base = iso(unix);
    format!("{}.{:03}Z", &base[..base.len() - 1], millis % 1000)
}

/// `20261101`: the date part of an Autotask ticket number.
pub fn compact_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(DAY));
    format!("{y:04}{m:02}{d:02}")
}

/// A uniformly random instant in `from..to` (returns `from` when the range is empty).
pub fn between(rng: &mut Rng, from: i64, to: i64) -> i64 {
    if to <= from {
        from
    } else {
        rng.i64(from..to)
    }
}

/// `n` random instants in `from..to`, ascending: lists whose ids grow with time
/// (notifications, tickets) take them in order.
pub fn sorted_between(rng: &mut Rng, n: usize, from: i64, to: i64) -> Vec<i64> {
    let mut times: Vec<i64> = (0..n).map(|_| between(rng, from, to)).collect();
    times.sort_unstable();
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(START, 1_704_067_200);
        assert_eq!(iso(START), "2024-01-01T00:00:00Z");
        assert_eq!(iso(NOW), "2026-11-15T12:00:00Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_millis(START + 61, 7), "2024-01-01T00:01:01.007Z");
        assert_eq!(compact_date(NOW), "20261115");
    }

    #[test]
    fn round_trip_every_day() {
        for day in 19_000..21_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }
}
