//! OData query strings ($top, $skip, $filter, $orderby, $select) for VSA X, VSA 9 and the
//! Data Warehouse.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in a query value. Everything else is percent-encoded:
/// `&`, `=`, `+` and `#` would change the query's meaning, and a space is sent as `%20`
/// because OData servers do not all read `+` as a space. `'` is encoded too: the url crate
/// encodes it in the query of https URLs, and the request must read the same after
/// passing through it. Parentheses and commas stay readable.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':');

/// Percent-encodes one query value.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Builds a query string of OData parameters in a fixed order, skipping absent ones.
#[derive(Debug, Default, Clone)]
pub(crate) struct ODataQuery<'a> {
    pub top: Option<u32>,
    pub skip: Option<u64>,
    pub filter: Option<&'a str>,
    pub order_by: Option<&'a str>,
    pub select: Option<&'a str>,
    pub count: bool,
}

impl ODataQuery<'_> {
    /// `$top=..&$skip=..` etc., or an empty string. Parameter names keep their `$`: it is
    /// allowed in a query and every server in VENDORS.md expects it unencoded.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(top) = self.top {
            parts.push(format!("$top={top}"));
        }
        if let Some(skip) = self.skip {
            parts.push(format!("$skip={skip}"));
        }
        if let Some(filter) = self.filter {
            parts.push(format!("$filter={}", encode_query_value(filter)));
        }
        if let Some(order_by) = self.order_by {
            parts.push(format!("$orderby={}", encode_query_value(order_by)));
        }
        if let Some(select) = self.select {
            parts.push(format!("$select={}", encode_query_value(select)));
        }
        if self.count {
            parts.push("$count=true".to_string());
        }
        parts.join("&")
    }

    /// `url` with this query set (replacing any query it had).
    pub fn apply(&self, mut url: url::Url) -> url::Url {
        let query = self.to_query_string();
        url.set_query(if query.is_empty() { None } else { Some(&query) });
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_encoded_so_they_cannot_break_the_query() {
        let q = ODataQuery {
            top: Some(100),
            skip: Some(200),
            filter: Some("contains(tolower(GroupName), 'a&b=c+d #1')"),
            order_by: Some("GroupId desc"),
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(),
            "$top=100&$skip=200&$filter=contains(tolower(GroupName),%20%27a%26b%3Dc%2Bd%20%231%27)&$orderby=GroupId%20desc"
        );
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded() {
        assert_eq!(
            encode_query_value("Name eq 'Müller'"),
            "Name%20eq%20%27M%C3%BCller%27"
        );
    }

    #[test]
    fn applying_survives_the_url_crate_unchanged() {
        let base = url::Url::parse("https://acme.vsax.net/api/v3/devices").unwrap();
        let q = ODataQuery {
            top: Some(1),
            filter: Some("IPAddress eq '10.0.0.5'"),
            select: Some("Id,Name"),
            count: true,
            ..Default::default()
        };
        assert_eq!(
            q.apply(base).as_str(),
            "https://acme.vsax.net/api/v3/devices?$top=1&$filter=IPAddress%20eq%20%2710.0.0.5%27&$select=Id,Name&$count=true"
        );
    }
}
