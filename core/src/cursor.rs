//! Resume cursors: an opaque string that says where a list stopped, so a restarted job
//! delivers the rest and nothing twice.
//!
//! The text is JSON (debuggable when stored in a database) carrying the vendor, the
//! resource, a fingerprint of the query, and one position: an offset (`skip`), a
//! server-given next link (`next`), the last Autotask id seen (`after_id`), or `done`.

use serde::{Deserialize, Serialize};

use crate::{Error, Vendor};

/// Cursor format version; bump when the meaning of a field changes.
const VERSION: u32 = 1;

/// Longest cursor accepted: the longest next link and resource name the core accepts
/// plus room for the rest; anything larger is not ours.
const MAX_CURSOR_LEN: usize =
    crate::listing::MAX_LINK_LEN + crate::listing::MAX_RESOURCE_LEN + 4096;

/// Where a list job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) struct Position {
    /// Pages delivered so far.
    pub page: u32,
    /// Offset of the next page ($skip paging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<u64>,
    /// The server's link to the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Highest Autotask id delivered (keyset paging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
    /// Nothing is left.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorText {
    v: u32,
    vendor: String,
    resource: String,
    query: String,
    #[serde(flatten)]
    position: Position,
}

/// Serialises a position for `vendor`/`resource` with the query fingerprint.
pub(crate) fn encode(vendor: Vendor, resource: &str, query: &str, position: &Position) -> String {
    let text = CursorText {
        v: VERSION,
        vendor: vendor.id().to_string(),
        resource: resource.to_string(),
        query: query.to_string(),
        position: position.clone(),
    };
    serde_json::to_string(&text).unwrap_or_default()
}

/// Reads a cursor back, refusing one made for another vendor, resource or query.
pub(crate) fn decode(
    cursor: &str,
    vendor: Vendor,
    resource: &str,
    query: &str,
) -> Result<Position, Error> {
    let remedy = "Pass the cursor of the last page event of the same list (same resource, \
                  filter, order and fields), or no cursor to start from the beginning.";
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(Error::config(
            "The cursor is too long to be an mspkit cursor",
            remedy,
        ));
    }
    let text: CursorText = serde_json::from_str(cursor.trim())
        .map_err(|_| Error::config("The cursor is not an mspkit cursor", remedy))?;
    if text.v != VERSION {
        return Err(Error::config(
            format!(
                "The cursor has version {} but this mspkit reads version {VERSION}",
                text.v
            ),
            remedy,
        ));
    }
    if text.vendor != vendor.id() || text.resource != resource {
        // What the cursor holds is not quoted: a damaged or pasted cursor may hold anything.
        let other = match Vendor::from_id(&text.vendor) {
            Some(other) if other != vendor => format!("a {} list", other.display_name()),
            Some(_) => "a list of another resource".to_string(),
            None => "another vendor's list".to_string(),
        };
        return Err(Error::config(
            format!(
                "The cursor belongs to {other}, not to this {} list of \"{resource}\"",
                vendor.display_name()
            ),
            remedy,
        ));
    }
    if text.position.page == u32::MAX {
        // No list has four billion pages; the next page number would not fit.
        return Err(Error::config(
            "The cursor's page number is out of range",
            remedy,
        ));
    }
    if text.query != query {
        return Err(Error::config(
            "The cursor was made for a list with a different filter, order, page size or fields",
            remedy,
        ));
    }
    Ok(text.position)
}

/// A short stable fingerprint of the query (FNV-1a 64), so a cursor cannot be applied to
/// a different filter whose offsets would mean something else.
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn round_trip_and_readable_form() {
        let pos = Position {
            page: 3,
            skip: Some(300),
            ..Default::default()
        };
        let text = encode(Vendor::Vsax, "devices", "abc", &pos);
        assert_eq!(
            text,
            r#"{"v":1,"vendor":"vsax","resource":"devices","query":"abc","page":3,"skip":300}"#
        );
        assert_eq!(decode(&text, Vendor::Vsax, "devices", "abc").unwrap(), pos);
        let done = Position {
            page: 9,
            done: true,
            ..Default::default()
        };
        let text = encode(Vendor::Autotask, "Companies", "q", &done);
        assert_eq!(
            decode(&text, Vendor::Autotask, "Companies", "q").unwrap(),
            done
        );
    }

    #[test]
    fn foreign_or_garbled_cursors_are_config_errors() {
        let text = encode(Vendor::Vsax, "devices", "abc", &Position::default());
        for (cursor, vendor, resource, query) in [
            (text.as_str(), Vendor::Vsa9, "devices", "abc"),
            (text.as_str(), Vendor::Vsax, "organizations", "abc"),
            (text.as_str(), Vendor::Vsax, "devices", "other"),
            ("", Vendor::Vsax, "devices", "abc"),
            ("{\"v\":2}", Vendor::Vsax, "devices", "abc"),
            ("not json", Vendor::Vsax, "devices", "abc"),
        ] {
            let e = decode(cursor, vendor, resource, query).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{cursor}");
        }
        let e = decode(&text, Vendor::Vsax, "organizations", "abc").unwrap_err();
        assert_eq!(
            e.message(),
            "The cursor belongs to a list of another resource, not to this Kaseya VSA X list \
             of \"organizations\""
        );
        let e = decode(&text, Vendor::Autotask, "devices", "abc").unwrap_err();
        assert_eq!(
            e.message(),
            "The cursor belongs to a Kaseya VSA X list, not to this Autotask PSA list of \
             \"devices\""
        );
        // What the cursor holds is never quoted.
        let odd = text.replace("\"vsax\"", "\"SECRETvendor\"");
        let e = decode(&odd, Vendor::Vsax, "devices", "abc").unwrap_err();
        assert!(!e.message().contains("SECRET"), "{}", e.message());
    }

    #[test]
    fn fingerprint_separates_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]), fingerprint(&["x"]));
    }
}
