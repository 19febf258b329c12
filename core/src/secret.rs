//! Secrets: credential values that must never reach an error, a log line or exported state.

use std::fmt;

/// A credential value (token secret, PAT, password, session token, Authorization value).
///
/// `Debug` and `Display` print `[redacted]`; the only way to read the value is
/// [`Secret::expose`], which the request builders call when they sign a request.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value. Call only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Secrets shorter than this are not scrubbed from text: replacing every "1" in a message
/// because a test token is "1" would garble it, and such a value is not worth hiding.
const MIN_SCRUB_LEN: usize = 4;

/// Removes known secret values from text that came from outside (a server's error page can
/// echo a header back). Every error leaving a client passes through one of these.
#[derive(Clone, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// Adds a value to scrub, along with the encodings it travels in (base64 of a Basic
    /// pair is added by the caller as its own value).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SCRUB_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// `text` with every known secret replaced by `[redacted]`.
    ///
    /// Server text is cut to a readable length (marked with a trailing `…`) before it gets
    /// here, and the cut can fall inside a secret; the start of a secret just before the
    /// mark is removed too.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), "[redacted]");
            }
        }
        if let Some(kept) = out.strip_suffix(TRUNCATION_MARK) {
            let cut = self
                .values
                .iter()
                .filter_map(|value| longest_prefix_at_end(kept, value))
                .max();
            if let Some(len) = cut {
                out = format!("{}[redacted]{TRUNCATION_MARK}", &kept[..kept.len() - len]);
            }
        }
        out
    }
}

/// What `truncate_chars` appends where it cut text.
const TRUNCATION_MARK: &str = "…";

/// The length in bytes of the longest proper prefix of `secret` that `text` ends with.
fn longest_prefix_at_end(text: &str, secret: &str) -> Option<usize> {
    (1..secret.len())
        .rev()
        .filter(|&n| secret.is_char_boundary(n))
        .find(|&n| text.ends_with(&secret[..n]))
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} values)", self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret([redacted]))");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redactor_scrubs_every_occurrence_longest_first() {
        let mut r = Redactor::default();
        r.add("abcd");
        r.add("abcd-efgh");
        r.add("xy"); // too short to scrub sensibly
        assert_eq!(
            r.scrub("got abcd-efgh and abcd, xy"),
            "got [redacted] and [redacted], xy"
        );
        assert!(!format!("{r:?}").contains("abcd"));
    }

    #[test]
    fn a_secret_cut_by_truncation_loses_its_visible_start_too() {
        let mut r = Redactor::default();
        r.add("vsax-Secr3t-9b1f");
        assert_eq!(r.scrub("token vsax-Secr…"), "token [redacted]…");
        assert_eq!(r.scrub("token v…"), "token [redacted]…");
        // Text that was not cut is left alone even when it ends like a secret starts.
        assert_eq!(r.scrub("token vsax"), "token vsax");
        assert_eq!(r.scrub("nothing here…"), "nothing here…");
    }
}
