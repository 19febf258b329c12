//! Turning an HTTP status (or an in-body status) into an mspkit error that says whose
//! fault it is and what to do.

use crate::{Error, ErrorCode, Vendor};

/// Builds the error for a failed response. `what` names the resource (for 403/404),
/// `vendor_message` is what the server said (already extracted from its envelope).
pub(crate) fn error_for_status(
    vendor: Vendor,
    status: u16,
    what: &str,
    vendor_message: Option<String>,
) -> Error {
    if let Some(e) = autotask_message_error(vendor, status, vendor_message.as_deref()) {
        return e.with_status(status).with_vendor_message(vendor_message);
    }
    let name = vendor.display_name();
    let error = match status {
        401 => Error::new(
            ErrorCode::Unauthorized,
            format!("{name} refused the credentials"),
            unauthorized_remediation(vendor),
        ),
        403 => Error::new(
            ErrorCode::Forbidden,
            format!("{name} denied access to {what}"),
            forbidden_remediation(vendor, what),
        ),
        404 | 410 => Error::new(
            ErrorCode::NotFound,
            format!("{name} has no {what} at this URL"),
            not_found_remediation(vendor),
        ),
        429 => Error::new(
            ErrorCode::RateLimited,
            format!("{name} is rate-limiting this client"),
            "Wait a minute and retry. If it keeps happening, fewer integrations or jobs \
             should run against this tenant at the same time.",
        )
        .retryable(true),
        408 | 500..=599 => Error::new(
            ErrorCode::ServerError,
            format!("{name} failed to answer the request for {what}"),
            "This is a problem on the server side (or a proxy in between), not in your \
             settings. Retry later; if it persists, check the vendor's status page.",
        )
        .retryable(true),
        400..=499 => Error::config(
            format!("{name} rejected the request for {what} as invalid"),
            "Check the filter, order_by and field names of the request against the \
             vendor's API reference (VSA 9 id fields are 32-bit integers: a long literal \
             in a filter is refused).",
        ),
        _ => Error::bad_response(format!(
            "{name} answered the request for {what} with unexpected HTTP status {status}"
        )),
    };
    error
        .with_status(status)
        .with_vendor_message(vendor_message)
}

fn unauthorized_remediation(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Vsax => {
            "The token id or token secret is wrong, or the token was revoked or has \
             expired. In VSA X create a new API token (Administration > Configuration > \
             API Access) and update both the token id and the secret."
        }
        Vendor::Vsa9 => {
            "The username or personal access token is wrong, expired or revoked, or the \
             session ended. Check the username and create a new access token in VSA \
             (System > User Security > Users > Access Tokens) with the REST API scope."
        }
        Vendor::Vsa9Warehouse => {
            "The username or Data Warehouse token is wrong, expired or revoked. Create an \
             access token with the \"Data Warehouse API\" scope in VSA (System > User \
             Security > Users > Access Tokens) and use it with the same username."
        }
        Vendor::Autotask => {
            "The API user's username or secret is wrong, or the user is inactive. Check \
             the API user's Username and Secret in Autotask (security level \"API User\") \
             and generate a new secret if unsure."
        }
    }
}

fn forbidden_remediation(vendor: Vendor, what: &str) -> String {
    match vendor {
        Vendor::Vsax => format!(
            "The token is valid, but its permissions do not include read access to \
             {what} (or the request came from an address outside the token's IP \
             allow-list). Edit the API token in VSA X to allow it."
        ),
        Vendor::Vsa9 | Vendor::Vsa9Warehouse => format!(
            "The user is valid, but its role or the token's scopes do not allow reading \
             {what} (or the address is outside the token's IP allow-list). Grant the role \
             the right or give the token the needed scope."
        ),
        Vendor::Autotask => format!(
            "The API user is valid, but its security level does not allow reading {what}. \
             Give the API user's security level read access to it."
        ),
    }
}

fn not_found_remediation(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Vsax => {
            "Check the tenant URL: it should be your VSA X address, such as \
             https://acme.vsax.net. If this server is an on-premises VSA 9, use the VSA 9 \
             client instead."
        }
        Vendor::Vsa9 | Vendor::Vsa9Warehouse => {
            "Check the server URL: it should be your VSA 9 server, such as \
             https://vsa.example.com, with the REST API enabled. If this is a VSA X \
             (VSA 10) tenant, use the VSA X client instead."
        }
        Vendor::Autotask => {
            "Check the entity name (e.g. Companies, Tickets) and the zone URL; leave \
             zone_url unset to let mspkit discover it."
        }
    }
}

/// Autotask answers many client mistakes with HTTP 500 (and the thread limit with any
/// status): recognise them by message so they are reported as what they are and never
/// retried.
fn autotask_message_error(vendor: Vendor, status: u16, message: Option<&str>) -> Option<Error> {
    if vendor != Vendor::Autotask {
        return None;
    }
    let lower = message?.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    if has("thread threshold") || has("threshold of") && has("exceeded") {
        return Some(
            Error::new(
                ErrorCode::RateLimited,
                "Autotask PSA refused the request: too many concurrent requests",
                "More than 3 requests ran at once against one entity with this integration \
                 code. Wait and retry; run fewer jobs in parallel.",
            )
            .retryable(true),
        );
    }
    if status != 500 {
        return None;
    }
    if has("zone information could not be determined") {
        return Some(Error::new(
            ErrorCode::Unauthorized,
            "Autotask PSA does not know this API username",
            "Check the API user's Username (an email-like string, the \"key\"): zone \
             discovery found no Autotask database for it.",
        ));
    }
    if has("integrationcode") || has("integration code") || has("tracking identifier") {
        return Some(Error::new(
            ErrorCode::Unauthorized,
            "Autotask PSA refused the integration code",
            "Check the integration code (API Tracking Identifier) of the API user in \
             Autotask.",
        ));
    }
    if has("not active") || has("inactive") || has("locked") {
        return Some(Error::new(
            ErrorCode::Unauthorized,
            "Autotask PSA refused the API user",
            "The API user is inactive or locked: activate it in Autotask.",
        ));
    }
    if has("permission") || has("not authorized") || has("access denied") {
        return Some(Error::new(
            ErrorCode::Forbidden,
            "Autotask PSA denied access",
            "The API user's security level lacks a permission this request needs: grant \
             it read access to the entity.",
        ));
    }
    const VALIDATION: [&str; 9] = [
        "invalid",
        "is required",
        "cannot be",
        "does not exist",
        "unable to find",
        "not a valid",
        "unknown field",
        "filter",
        "must be",
    ];
    if VALIDATION.iter().any(|needle| has(needle)) {
        return Some(Error::config(
            "Autotask PSA rejected the query",
            "The query is invalid: check the entity, the filter items (op, field, value) \
             and includeFields against the Autotask entity's fields.",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(vendor: Vendor, status: u16, msg: Option<&str>) -> Error {
        error_for_status(vendor, status, "devices", msg.map(String::from))
    }

    #[test]
    fn statuses_map_to_codes_with_actionable_remediation() {
        let e = classify(Vendor::Vsax, 401, None);
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert!(e.remediation().contains("token id or token secret"));
        assert!(!e.is_retryable());

        let e = classify(Vendor::Vsax, 403, Some("Request Failed"));
        assert_eq!(e.code(), ErrorCode::Forbidden);
        assert!(e.remediation().contains("read access to devices"));
        assert_eq!(e.vendor_message(), Some("Request Failed"));

        let e = classify(Vendor::Vsax, 404, Some("Entity is not found."));
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert!(e.remediation().contains("VSA 9"));
        let e = classify(Vendor::Vsa9, 404, None);
        assert!(e.remediation().contains("VSA X"));

        let e = classify(Vendor::Vsa9, 429, None);
        assert_eq!((e.code(), e.is_retryable()), (ErrorCode::RateLimited, true));
        for s in [500, 502, 503, 504] {
            let e = classify(Vendor::Vsax, s, None);
            assert_eq!((e.code(), e.is_retryable()), (ErrorCode::ServerError, true));
            assert_eq!(e.status(), Some(s));
        }
        assert_eq!(
            classify(Vendor::Vsa9, 400, None).code(),
            ErrorCode::InvalidConfig
        );
        assert_eq!(
            classify(Vendor::Vsax, 302, None).code(),
            ErrorCode::BadResponse
        );
    }

    #[test]
    fn autotask_client_mistakes_in_500s_are_not_retryable() {
        let cases = [
            (
                "Zone information could not be determined",
                ErrorCode::Unauthorized,
            ),
            ("IntegrationCode is invalid.", ErrorCode::Unauthorized),
            (
                "User does not have the adequate permissions to query this entity.",
                ErrorCode::Forbidden,
            ),
            (
                "Unable to find field 'nope' in the Company Entity.",
                ErrorCode::InvalidConfig,
            ),
        ];
        for (msg, code) in cases {
            let e = classify(Vendor::Autotask, 500, Some(msg));
            assert_eq!(e.code(), code, "{msg}");
            assert!(!e.is_retryable(), "{msg}");
            assert_eq!(e.vendor_message(), Some(msg));
        }
        let e = classify(Vendor::Autotask, 500, Some("An unexpected error occurred."));
        assert_eq!((e.code(), e.is_retryable()), (ErrorCode::ServerError, true));
    }

    #[test]
    fn autotask_thread_limit_is_rate_limited_whatever_the_status() {
        let msg = "The Autotask API thread threshold of 3 threads has been exceeded";
        for status in [429, 500, 403] {
            let e = classify(Vendor::Autotask, status, Some(msg));
            assert_eq!((e.code(), e.is_retryable()), (ErrorCode::RateLimited, true));
        }
    }
}
