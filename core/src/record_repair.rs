//! Making records readable that are well-formed JSON text but that no JSON reader the
//! bindings use can turn into values: a lone UTF-16 surrogate escape (`"\ud800"`, which
//! .NET serialisers write when a string is cut inside an emoji) and a number beyond the
//! range of f64 (`1e400`).
//!
//! Records are only delimited on the page path, never parsed, so neither shows up there;
//! refusing the whole page for one odd field would stop a nightly sync on every run, so
//! such a record is repaired instead: the lone surrogate becomes U+FFFD (what every
//! lenient decoder does) and the number becomes a string holding its digits exactly (JSON
//! has no infinity, and a string loses nothing). Decoders repair only after they failed
//! (`Items::repaired`), so ordinary pages pay nothing.

use serde_json::Value;

/// `record` unchanged when serde_json reads it, else its repaired text, or None when even
/// the repaired text cannot be read (the caller refuses the page).
pub(crate) fn repaired(record: &str) -> Option<Option<String>> {
    if serde_json::from_str::<Value>(record).is_ok() {
        return Some(None);
    }
    let fixed = rewrite(record);
    serde_json::from_str::<Value>(&fixed)
        .ok()
        .map(|_| Some(fixed))
}

/// Copies well-formed JSON text, replacing lone surrogate escapes and infinite numbers.
fn rewrite(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                copy_string(text, &mut chars, &mut out);
            }
            '-' | '0'..='9' => {
                let mut end = start + 1;
                while let Some(&(i, next)) = chars.peek() {
                    if !matches!(next, '0'..='9' | '.' | 'e' | 'E' | '+' | '-') {
                        break;
                    }
                    end = i + 1;
                    chars.next();
                }
                let number = &text[start..end];
                if number.parse::<f64>().is_ok_and(f64::is_finite) {
                    out.push_str(number);
                } else {
                    out.push('"');
                    out.push_str(number);
                    out.push('"');
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Copies a string's body up to and including its closing quote.
fn copy_string(
    text: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    out: &mut String,
) {
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                return;
            }
            '\\' => match chars.next() {
                Some((_, 'u')) => {
                    let unit = hex4(text, i + 2);
                    skip(chars, 4);
                    match unit {
                        Some(high @ 0xD800..=0xDBFF) => {
                            // A high surrogate stands only before an escaped low one.
                            let low = text
                                .get(i + 6..i + 8)
                                .filter(|s| *s == "\\u")
                                .and_then(|_| hex4(text, i + 8))
                                .filter(|low| (0xDC00..=0xDFFF).contains(low));
                            match low {
                                Some(low) => {
                                    out.push_str(&format!("\\u{high:04x}\\u{low:04x}"));
                                    skip(chars, 6);
                                }
                                None => out.push_str("\\ufffd"),
                            }
                        }
                        Some(0xDC00..=0xDFFF) => out.push_str("\\ufffd"),
                        _ => out.push_str(&text[i..(i + 6).min(text.len())]),
                    }
                }
                Some((_, escaped)) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push('\\'),
            },
            other => out.push(other),
        }
    }
}

fn hex4(text: &str, at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

fn skip(chars: &mut impl Iterator, n: usize) {
    for _ in 0..n {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixed(record: &str) -> Value {
        let text = repaired(record)
            .expect("repairable")
            .expect("needs a repair");
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character_and_pairs_stay() {
        assert_eq!(fixed(r#"{"Name":"\ud800"}"#), json!({"Name": "\u{fffd}"}));
        assert_eq!(
            fixed(r#"{"Name":"a\ud800x"}"#),
            json!({"Name": "a\u{fffd}x"})
        );
        assert_eq!(fixed(r#"{"Name":"\udc00"}"#), json!({"Name": "\u{fffd}"}));
        assert_eq!(
            fixed(r#"{"Name":"\ud83d\u0041"}"#),
            json!({"Name": "\u{fffd}A"})
        );
        assert_eq!(
            fixed(r#"{"A":"\ud83d\ude00 \ud800","B":"\"\\ud800"}"#),
            json!({"A": "\u{1f600} \u{fffd}", "B": "\"\\ud800"})
        );
    }

    #[test]
    fn numbers_beyond_f64_become_strings_holding_their_exact_text() {
        assert_eq!(
            fixed(r#"{"Size":1e400,"Ok":1.5e3,"Neg":-1E+999}"#),
            json!({"Size": "1e400", "Ok": 1500.0, "Neg": "-1E+999"})
        );
        let huge = "9".repeat(400);
        assert_eq!(fixed(&format!("[{huge}]")), json!([huge]));
    }

    #[test]
    fn readable_records_are_left_alone() {
        assert_eq!(repaired(r#"{"a":"\ud83d\ude00","b":1e300}"#), Some(None));
    }
}
