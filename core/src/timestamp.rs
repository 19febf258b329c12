//! ISO 8601 timestamps as the vendors send them ("2026-11-22T12:30:00Z",
//! "2026-11-22T12:30:00.123+01:00", or with no zone at all), to Unix milliseconds.

/// A parsed timestamp: Unix milliseconds, and whether the text carried a zone. Without
/// one, `unix_ms` reads the wall-clock digits as if they were UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    pub unix_ms: i64,
    pub has_zone: bool,
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]`; None for anything else.
pub(crate) fn parse_iso8601(text: &str) -> Option<Timestamp> {
    let s = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4) != Some(&b'-')
        || s.get(7) != Some(&b'-')
        || !matches!(s.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    if s.get(13) != Some(&b':') {
        return None;
    }
    let mut i = 16;
    let mut second = 0;
    let mut millis = 0;
    if s.get(i) == Some(&b':') {
        second = num(i + 1..i + 3)?;
        i += 3;
        if s.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while s.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Keep milliseconds; .NET sends up to 7 fraction digits.
            let digits = &s[start..end.min(start + 3)];
            let mut value: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            for _ in digits.len()..3 {
                value *= 10;
            }
            millis = value;
            i = end;
        }
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (offset_minutes, has_zone) = match s.get(i) {
        None => (0, false),
        Some(b'Z' | b'z') if s.len() == i + 1 => (0, true),
        Some(sign @ (b'+' | b'-')) => {
            let h = num(i + 1..i + 3)?;
            let m = match (s.get(i + 3), s.len()) {
                (Some(b':'), len) if len == i + 6 => num(i + 4..i + 6)?,
                (_, len) if len == i + 5 => num(i + 3..i + 5)?,
                (None, _) => 0,
                _ => return None,
            };
            let total = h * 60 + m;
            (if *sign == b'-' { -total } else { total }, true)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(Timestamp {
        unix_ms: secs * 1000 + millis,
        has_zone,
    })
}

/// An HTTP-date (`Date`, `Retry-After`: IMF-fixdate, RFC 850 or asctime) as Unix ms.
pub(crate) fn parse_http_date_ms(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Option<(i64, bool)> {
        parse_iso8601(text).map(|t| (t.unix_ms, t.has_zone))
    }

    #[test]
    fn parses_the_forms_vendors_send() {
        // 2026-11-22T12:30:00Z = 1795350600 s
        assert_eq!(ms("2026-11-22T12:30:00Z"), Some((1_795_350_600_000, true)));
        assert_eq!(ms("2026-11-22T12:30:00"), Some((1_795_350_600_000, false)));
        assert_eq!(
            ms("2026-11-22T13:30:00+01:00"),
            Some((1_795_350_600_000, true))
        );
        assert_eq!(
            ms("2026-11-22T07:30:00-0500"),
            Some((1_795_350_600_000, true))
        );
        assert_eq!(
            ms("2026-11-22T12:30:00.1234567Z"),
            Some((1_795_350_600_123, true))
        );
        assert_eq!(ms("2026-11-22 12:30"), Some((1_795_350_600_000, false)));
        assert_eq!(ms("1970-01-01T00:00:00Z"), Some((0, true)));
        assert_eq!(ms("2000-02-29T00:00:00Z"), Some((951_782_400_000, true)));
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        let expected = Some(1_795_350_600_000);
        assert_eq!(
            parse_http_date_ms("Sun, 22 Nov 2026 12:30:00 GMT"),
            expected
        );
        assert_eq!(
            parse_http_date_ms("Sunday, 22-Nov-26 12:30:00 GMT"),
            expected
        );
        assert_eq!(parse_http_date_ms("Sun Nov 22 12:30:00 2026"), expected);
        assert_eq!(parse_http_date_ms("yesterday"), None);
    }

    #[test]
    fn refuses_everything_else_without_panicking() {
        for bad in [
            "",
            "2026",
            "2026-13-01T00:00:00Z",
            "2026-11-22",
            "2026-11-22T25:00:00Z",
            "2026-11-22T12:30:00Q",
            "2026-11-22T12:30:00.Z",
            "2026-11-22T12:30:00+1",
            "２０２６-11-22T12:30:00Z",
            "2026-11-22T12:30:00Z trailing",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
