//! A list job's plan and paging: which request fetches the next page, and where the job
//! stands after each page. One function per step, with the per-vendor rules side by side.

use serde_json::Value;
use url::Url;

use crate::cursor::{self, Position};
use crate::odata::ODataQuery;
use crate::request::RequestSpec;
use crate::tenant_url::check_next_link;
use crate::vendors::{autotask, vsa9, vsax, warehouse, ParsedPage};
use crate::{Error, Vendor};

/// How an Autotask list walks past the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutotaskPaging {
    /// Follow `pageDetails.nextPageUrl` with the original method and body (documented).
    #[default]
    NextLink,
    /// Re-query with `id gt <last id>` each time (independent of server-side paging state).
    Keyset,
}

/// A caller's filter: an OData expression (VSA X, VSA 9, Data Warehouse) or Autotask
/// filter items (JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// An OData `$filter` expression such as `contains(tolower(Name), 'acme')`.
    OData(String),
    /// Autotask filter items such as `[{"op":"eq","field":"isActive","value":true}]`.
    Autotask(Value),
}

impl From<&str> for Filter {
    fn from(s: &str) -> Self {
        Filter::OData(s.to_string())
    }
}

impl From<String> for Filter {
    fn from(s: String) -> Self {
        Filter::OData(s)
    }
}

impl From<Value> for Filter {
    fn from(v: Value) -> Self {
        match v {
            Value::String(s) => Filter::OData(s),
            other => Filter::Autotask(other),
        }
    }
}

/// What to list and how; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListOptions {
    /// Narrow the list; see [`Filter`].
    pub filter: Option<Filter>,
    /// OData `$orderby`, e.g. `Name desc` (not for Autotask, which sorts by id).
    pub order_by: Option<String>,
    /// Items per page; clamped to the vendor's maximum (VSA X and VSA 9: 100, Autotask:
    /// 500, Data Warehouse: 1000). Default: the maximum.
    pub page_size: Option<u32>,
    /// Fields to return (Autotask `includeFields`, Data Warehouse `$select`).
    pub fields: Option<Vec<String>>,
    /// Resume after the page this cursor came from.
    pub cursor: Option<String>,
}

/// The fixed part of a list job.
#[derive(Debug, Clone)]
pub(crate) struct ListPlan {
    vendor: Vendor,
    resource: String,
    odata_filter: Option<String>,
    autotask_filter: Vec<Value>,
    order_by: Option<String>,
    fields: Option<Vec<String>>,
    page_size: u32,
    page_size_given: bool,
    autotask_paging: AutotaskPaging,
    fingerprint: String,
}

/// Longest next-page link followed. Servers refuse URLs far shorter than this; a longer
/// one is not a link worth sending credentials to, and it must still fit in a cursor.
pub(crate) const MAX_LINK_LEN: usize = 64 * 1024;

/// Longest resource path accepted.
pub(crate) const MAX_RESOURCE_LEN: usize = 256;

/// A list job's moving part.
#[derive(Debug, Clone)]
pub(crate) struct ListState {
    pub plan: ListPlan,
    position: Position,
    /// Body of the query that started the current Autotask next-link chain.
    chain_body: Option<String>,
}

/// One page ready to hand to the caller.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageOutcome {
    pub items: crate::Items,
    pub total: Option<u64>,
    pub page_number: u32,
    pub cursor: String,
    pub done: bool,
}

impl ListPlan {
    /// Checks the caller's resource and options for `vendor`.
    pub fn new(
        vendor: Vendor,
        resource: &str,
        options: &ListOptions,
        autotask_paging: AutotaskPaging,
    ) -> Result<ListPlan, Error> {
        let resource = validate_resource(vendor, resource)?;
        let (max, name) = match vendor {
            Vendor::Vsax => (vsax::MAX_PAGE_SIZE, "VSA X"),
            Vendor::Vsa9 => (vsa9::MAX_PAGE_SIZE, "VSA 9"),
            Vendor::Vsa9Warehouse => (warehouse::MAX_PAGE_SIZE, "Data Warehouse"),
            Vendor::Autotask => (autotask::MAX_PAGE_SIZE, "Autotask"),
        };
        let page_size = match options.page_size {
            Some(0) => {
                return Err(Error::config(
                    "page_size is 0",
                    format!("Use a page size from 1 to {max} ({name}'s maximum), or leave it out."),
                ))
            }
            Some(n) => n.min(max),
            None => max,
        };
        let mut plan = ListPlan {
            vendor,
            resource,
            odata_filter: None,
            autotask_filter: Vec::new(),
            order_by: non_blank(options.order_by.as_deref()),
            fields: None,
            page_size,
            page_size_given: options.page_size.is_some(),
            autotask_paging,
            fingerprint: String::new(),
        };
        match (&options.filter, vendor) {
            (None, Vendor::Autotask) => {
                plan.autotask_filter = autotask::validate_filter(&autotask::match_all_filter())?
            }
            (None, _) => {}
            (Some(Filter::Autotask(v)), Vendor::Autotask) => {
                plan.autotask_filter = autotask::validate_filter(v)?
            }
            (Some(Filter::OData(text)), Vendor::Autotask) => {
                // Accept the filter items as JSON text too (from a config file, say).
                let parsed: Value = serde_json::from_str(text).map_err(|_| {
                    Error::config(
                        "An Autotask filter must be a list of filter items, not an OData expression",
                        "Pass filter items such as [{\"op\": \"eq\", \"field\": \"isActive\", \"value\": true}].",
                    )
                })?;
                plan.autotask_filter = autotask::validate_filter(&parsed)?
            }
            (Some(Filter::OData(text)), _) => plan.odata_filter = non_blank(Some(text)),
            (Some(Filter::Autotask(_)), _) => {
                return Err(Error::config(
                    format!(
                        "{} filters are OData expressions, not filter items",
                        vendor.display_name()
                    ),
                    "Pass a string such as \"contains(tolower(Name), 'acme')\".",
                ))
            }
        }
        if plan.order_by.is_some() && vendor == Vendor::Autotask {
            return Err(Error::config(
                "Autotask queries cannot be ordered",
                "Leave order_by out: Autotask returns records sorted by id.",
            ));
        }
        if let Some(fields) = &options.fields {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect();
            if fields
                .iter()
                .any(|f| !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(Error::config(
                    "A field name contains characters other than letters, digits and _",
                    "Pass plain field names such as \"id\" or \"companyName\".",
                ));
            }
            plan.fields = match vendor {
                Vendor::Autotask => Some(autotask::fields_with_id(&fields)),
                Vendor::Vsa9Warehouse => Some(fields),
                _ => {
                    return Err(Error::config(
                        format!("{} lists cannot select fields", vendor.display_name()),
                        "Leave fields out; field selection works for Autotask and the VSA 9 Data Warehouse.",
                    ))
                }
            }
            .filter(|f| !f.is_empty());
        }
        let filter_text = match vendor {
            Vendor::Autotask => Value::Array(plan.autotask_filter.clone()).to_string(),
            _ => plan.odata_filter.clone().unwrap_or_default(),
        };
        plan.fingerprint = cursor::fingerprint(&[
            &filter_text,
            plan.order_by.as_deref().unwrap_or(""),
            &plan.page_size.to_string(),
            &plan.fields.as_deref().unwrap_or(&[]).join(","),
        ]);
        Ok(plan)
    }

    /// The resource as validated, e.g. `devices` or `Companies`.
    pub fn resource(&self) -> &str {
        &self.resource
    }
}

impl ListState {
    /// A job at the start, or where `cursor` says.
    pub fn new(plan: ListPlan, cursor: Option<&str>) -> Result<ListState, Error> {
        let position = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => cursor::decode(c, plan.vendor, &plan.resource, &plan.fingerprint)?,
            None => Position::default(),
        };
        Ok(ListState {
            plan,
            position,
            chain_body: None,
        })
    }

    /// True when a cursor said nothing is left.
    pub fn is_done(&self) -> bool {
        self.position.done
    }

    /// The request for the next page, against the API base (or Autotask zone) `base`.
    pub fn request(&self, base: &Url) -> Result<RequestSpec, Error> {
        let plan = &self.plan;
        let next = match &self.position.next {
            Some(link) => Some(check_next_link(base, base, link)?),
            None => None,
        };
        let resource_url = join(base, &plan.resource)?;
        Ok(match plan.vendor {
            Vendor::Vsax | Vendor::Vsa9 => match next {
                Some(link) => RequestSpec::get(link),
                None => RequestSpec::get(
                    ODataQuery {
                        top: Some(plan.page_size),
                        skip: Some(self.position.skip.unwrap_or(0)),
                        filter: plan.odata_filter.as_deref(),
                        order_by: plan.order_by.as_deref(),
                        ..Default::default()
                    }
                    .apply(resource_url),
                ),
            },
            Vendor::Vsa9Warehouse => {
                let mut spec = match next {
                    Some(link) => RequestSpec::get(link),
                    None => {
                        let select = plan.fields.as_ref().map(|f| f.join(","));
                        RequestSpec::get(
                            ODataQuery {
                                filter: plan.odata_filter.as_deref(),
                                order_by: plan.order_by.as_deref(),
                                select: select.as_deref(),
                                ..Default::default()
                            }
                            .apply(resource_url),
                        )
                    }
                };
                if plan.page_size_given {
                    // Server-driven paging: OData's $top would cap the whole result.
                    spec.headers.push((
                        "Prefer".into(),
                        format!("odata.maxpagesize={}", plan.page_size),
                    ));
                }
                spec
            }
            Vendor::Autotask => match (next, &self.chain_body) {
                (Some(link), Some(body)) if plan.autotask_paging == AutotaskPaging::NextLink => {
                    RequestSpec::post_json(link, body.clone())
                }
                _ => RequestSpec::post_json(
                    join(base, &format!("{}/query", plan.resource))?,
                    self.fresh_query_body(),
                ),
            },
        })
    }

    fn fresh_query_body(&self) -> String {
        autotask::query_body(
            &self.plan.autotask_filter,
            self.plan.fields.as_deref(),
            self.plan.page_size,
            self.position.after_id,
        )
    }

    /// Parses a 2xx body of the request for the next page.
    pub fn parse(&self, body: &[u8]) -> Result<ParsedPage, Error> {
        match self.plan.vendor {
            Vendor::Vsax => vsax::parse_list(body, &self.plan.resource),
            Vendor::Vsa9 => vsa9::parse_list(body, &self.plan.resource),
            Vendor::Vsa9Warehouse => warehouse::parse_list(body),
            Vendor::Autotask => autotask::parse_list(body),
        }
    }

    /// Moves past `page` (the response to `request_url`) and returns what to deliver. On
    /// error the position is unchanged, so the last delivered cursor still resumes.
    pub fn advance(
        &mut self,
        page: ParsedPage,
        base: &Url,
        request_url: &Url,
    ) -> Result<PageOutcome, Error> {
        let next_link = match &page.next_link {
            Some(link) if link.len() > MAX_LINK_LEN => {
                return Err(Error::bad_response(format!(
                    "The server's next-page link is {} bytes long; mspkit follows links up to {MAX_LINK_LEN} bytes",
                    link.len()
                )))
            }
            Some(link) => {
                let url = check_next_link(base, request_url, link)?;
                if url == *request_url {
                    return Err(Error::bad_response(
                        "The server's next-page link points at the page it just sent; stopping to avoid a loop",
                    ));
                }
                Some(url.to_string())
            }
            None => None,
        };
        let count = page.items.len();
        let mut position = self.position.clone();
        // u32::MAX is never handed out, so every cursor delivered still decodes.
        position.page = position
            .page
            .checked_add(1)
            .filter(|p| *p < u32::MAX)
            .ok_or_else(|| {
                Error::bad_response("The list has more pages than a cursor can count")
            })?;
        let vendor = self.plan.vendor;
        match vendor {
            Vendor::Vsax | Vendor::Vsa9 => {
                let on_links = position.next.is_some();
                match next_link.filter(|_| count > 0) {
                    Some(link) => {
                        position.next = Some(link);
                        position.skip = None;
                    }
                    None if on_links => position.done = true,
                    None => {
                        let skip = position.skip.unwrap_or(0).saturating_add(count as u64);
                        position.skip = Some(skip);
                        position.done = count == 0
                            || count < self.plan.page_size as usize
                            || page.total.is_some_and(|t| skip >= t);
                    }
                }
            }
            Vendor::Vsa9Warehouse => match next_link.filter(|_| count > 0) {
                Some(link) => position.next = Some(link),
                None => position.done = true,
            },
            Vendor::Autotask => {
                if position.next.is_none() {
                    self.chain_body = Some(self.fresh_query_body());
                }
                if let Some(id) = crate::items::max_id(&page.items)? {
                    position.after_id = Some(id);
                }
                match self.plan.autotask_paging {
                    AutotaskPaging::NextLink => match next_link.filter(|_| count > 0) {
                        Some(link) => position.next = Some(link),
                        None => position.done = true,
                    },
                    AutotaskPaging::Keyset => {
                        position.done = count < self.plan.page_size as usize;
                    }
                }
            }
        }
        self.position = position;
        Ok(PageOutcome {
            items: page.items,
            total: page.total,
            page_number: self.position.page,
            cursor: self.cursor(),
            done: self.position.done,
        })
    }

    /// The cursor that resumes after the last page delivered. Autotask cursors carry only
    /// the last id: next-page links depend on server-side state that may not survive.
    fn cursor(&self) -> String {
        let mut position = self.position.clone();
        if self.plan.vendor == Vendor::Autotask {
            position.next = None;
        }
        cursor::encode(
            self.plan.vendor,
            &self.plan.resource,
            &self.plan.fingerprint,
            &position,
        )
    }
}

/// `base` + a relative path made only of validated segments.
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, Error> {
    base.join(path).map_err(|_| {
        Error::config(
            format!("Cannot build a URL for \"{path}\""),
            "Check the resource name.",
        )
    })
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A resource is a relative API path of plain segments: `devices`, `system/orgs`,
/// `devices/123/notifications`, `Companies`. Anything that could escape the API base or
/// smuggle a query is refused before a request is built.
fn validate_resource(vendor: Vendor, resource: &str) -> Result<String, Error> {
    let example = match vendor {
        Vendor::Vsax => "\"devices\" or \"organizations\"",
        Vendor::Vsa9 => "\"system/orgs\" or \"assetmgmt/agents\"",
        Vendor::Vsa9Warehouse => "\"Agents\" or \"MachineGroups\"",
        Vendor::Autotask => "\"Companies\" or \"Tickets\"",
    };
    let trimmed = resource.trim().trim_matches('/');
    // No vendor path comes near this; a longer one is a mistake, and it would make
    // cursors (which carry the resource) too long to read back.
    if trimmed.len() > MAX_RESOURCE_LEN {
        return Err(Error::config(
            format!("The resource name is {} characters long", trimmed.len()),
            format!(
                "Pass a resource path of at most {MAX_RESOURCE_LEN} characters, such as {example}."
            ),
        ));
    }
    let segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
    let plain = |s: &&str| {
        *s != "."
            && *s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let single_segment = matches!(vendor, Vendor::Autotask | Vendor::Vsa9Warehouse);
    if segments.is_empty() || !segments.iter().all(plain) || (single_segment && segments.len() != 1)
    {
        return Err(Error::config(
            format!(
                "\"{}\" is not a {} resource name",
                crate::error::truncate_chars(resource.trim(), 80),
                vendor.display_name()
            ),
            format!(
                "Pass the resource as a plain path relative to the API, such as {example}; \
                 put filters in the filter option, not in the path."
            ),
        ));
    }
    Ok(segments.join("/"))
}

/// The single request of a connection test and how to read the organisation count.
pub(crate) fn connection_test_request(vendor: Vendor, base: &Url) -> Result<RequestSpec, Error> {
    let top_one = ODataQuery {
        top: Some(1),
        ..Default::default()
    };
    Ok(match vendor {
        Vendor::Vsax => RequestSpec::get(top_one.apply(join(base, "organizations")?)),
        Vendor::Vsa9 => RequestSpec::get(top_one.apply(join(base, "system/orgs")?)),
        Vendor::Vsa9Warehouse => RequestSpec::get(top_one.apply(join(base, "Agents")?)),
        Vendor::Autotask => RequestSpec::post_json(
            join(base, "Companies/query/count")?,
            serde_json::json!({"filter": autotask::match_all_filter()}).to_string(),
        ),
    })
}

/// What a connection test reads: the organisation count (None where the vendor has none).
pub(crate) fn parse_connection_test(vendor: Vendor, body: &[u8]) -> Result<Option<u64>, Error> {
    let what = connection_test_what(vendor);
    match vendor {
        Vendor::Vsax => vsax::parse_list(body, what).map(|p| p.total),
        Vendor::Vsa9 => vsa9::parse_list(body, what).map(|p| p.total),
        Vendor::Vsa9Warehouse => warehouse::parse_list(body).map(|_| None),
        Vendor::Autotask => autotask::parse_count(body).map(Some),
    }
}

/// What a connection test reads, for messages.
pub(crate) fn connection_test_what(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Vsax => "organizations",
        Vendor::Vsa9 => "system/orgs",
        Vendor::Vsa9Warehouse => "Agents",
        Vendor::Autotask => "Companies",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use serde_json::json;

    fn plan(vendor: Vendor, resource: &str, options: ListOptions) -> Result<ListPlan, Error> {
        ListPlan::new(vendor, resource, &options, AutotaskPaging::NextLink)
    }

    fn base(vendor: Vendor) -> Url {
        Url::parse(match vendor {
            Vendor::Vsax => "https://acme.vsax.net/api/v3/",
            Vendor::Vsa9 => "https://vsa.example.com/api/v1.0/",
            Vendor::Vsa9Warehouse => "https://vsa.example.com/api/odata/1.0/",
            Vendor::Autotask => "https://webservices15.autotask.net/ATServicesRest/V1.0/",
        })
        .unwrap()
    }

    fn page(items: usize, total: Option<u64>, next: Option<&str>) -> ParsedPage {
        ParsedPage {
            items: crate::Items::from_values(
                &(1..=items as i64)
                    .map(|i| json!({"id": i}))
                    .collect::<Vec<_>>(),
            ),
            total,
            next_link: next.map(str::to_string),
        }
    }

    #[test]
    fn resources_are_plain_relative_paths() {
        for ok in [
            "devices",
            "/devices/",
            " system/orgs ",
            "devices/123/notifications",
        ] {
            assert!(
                plan(Vendor::Vsax, ok, ListOptions::default()).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "",
            "/",
            "../auth",
            "devices?$top=5",
            "https://evil.com/x",
            "a/./b",
            "dé",
        ] {
            let e = plan(Vendor::Vsax, bad, ListOptions::default()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{bad}");
        }
        let too_long = "a".repeat(MAX_RESOURCE_LEN + 1);
        let e = plan(Vendor::Vsax, &too_long, ListOptions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(!e.message().contains("aaaa"), "the input is not echoed");
        assert!(plan(
            Vendor::Vsax,
            &"a".repeat(MAX_RESOURCE_LEN),
            ListOptions::default()
        )
        .is_ok());
        assert!(plan(Vendor::Autotask, "Companies/1", ListOptions::default()).is_err());
        let e = plan(Vendor::Vsa9, "nope nope", ListOptions::default()).unwrap_err();
        assert!(e.remediation().contains("system/orgs"));
    }

    #[test]
    fn options_are_checked_per_vendor() {
        let e = plan(
            Vendor::Vsax,
            "devices",
            ListOptions {
                page_size: Some(0),
                ..Default::default()
            },
        );
        assert!(e.unwrap_err().remediation().contains("1 to 100"));
        let o = ListOptions {
            order_by: Some("id".into()),
            ..Default::default()
        };
        assert!(plan(Vendor::Autotask, "Companies", o).is_err());
        let o = ListOptions {
            fields: Some(vec!["Name".into()]),
            ..Default::default()
        };
        assert!(plan(Vendor::Vsax, "devices", o).is_err());
        let o = ListOptions {
            filter: Some(Filter::Autotask(json!([]))),
            ..Default::default()
        };
        assert!(plan(Vendor::Vsax, "devices", o).is_err());
        let o = ListOptions {
            filter: Some("Name eq 'x'".into()),
            ..Default::default()
        };
        assert!(plan(Vendor::Autotask, "Companies", o).is_err());
        // Autotask filter items may arrive as JSON text.
        let o = ListOptions {
            filter: Some(r#"[{"op":"eq","field":"isActive","value":true}]"#.into()),
            ..Default::default()
        };
        assert!(plan(Vendor::Autotask, "Companies", o).is_ok());
        let o = ListOptions {
            fields: Some(vec!["a,b".into()]),
            ..Default::default()
        };
        assert!(plan(Vendor::Autotask, "Companies", o).is_err());
    }

    #[test]
    fn requests_per_vendor() {
        let o = ListOptions {
            page_size: Some(500),
            ..Default::default()
        };
        let s = ListState::new(plan(Vendor::Vsax, "devices", o.clone()).unwrap(), None).unwrap();
        assert_eq!(
            s.request(&base(Vendor::Vsax)).unwrap().url.as_str(),
            "https://acme.vsax.net/api/v3/devices?$top=100&$skip=0"
        );
        let s =
            ListState::new(plan(Vendor::Vsa9, "system/orgs", o.clone()).unwrap(), None).unwrap();
        assert_eq!(
            s.request(&base(Vendor::Vsa9)).unwrap().url.as_str(),
            "https://vsa.example.com/api/v1.0/system/orgs?$top=100&$skip=0"
        );
        let w = ListOptions {
            page_size: Some(250),
            fields: Some(vec!["AgentId".into(), "Name".into()]),
            ..Default::default()
        };
        let s = ListState::new(plan(Vendor::Vsa9Warehouse, "Agents", w).unwrap(), None).unwrap();
        let spec = s.request(&base(Vendor::Vsa9Warehouse)).unwrap();
        assert_eq!(
            spec.url.as_str(),
            "https://vsa.example.com/api/odata/1.0/Agents?$select=AgentId,Name"
        );
        assert_eq!(
            spec.headers,
            vec![("Prefer".to_string(), "odata.maxpagesize=250".to_string())]
        );
        let s = ListState::new(plan(Vendor::Autotask, "Companies", o).unwrap(), None).unwrap();
        let spec = s.request(&base(Vendor::Autotask)).unwrap();
        assert_eq!(spec.method, crate::Method::Post);
        assert_eq!(
            spec.url.as_str(),
            "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query"
        );
        assert_eq!(
            spec.body.as_deref(),
            Some(r#"{"filter":[{"field":"id","op":"gte","value":0}],"maxRecords":500}"#)
        );
    }

    #[test]
    fn skip_paging_stops_on_total_short_or_empty_page() {
        let b = base(Vendor::Vsax);
        let o = ListOptions {
            page_size: Some(2),
            ..Default::default()
        };
        let mut s =
            ListState::new(plan(Vendor::Vsax, "devices", o.clone()).unwrap(), None).unwrap();
        let url = s.request(&b).unwrap().url;
        let out = s.advance(page(2, Some(4), None), &b, &url).unwrap();
        assert!(!out.done);
        assert!(s
            .request(&b)
            .unwrap()
            .url
            .as_str()
            .ends_with("$top=2&$skip=2"));
        let out = s.advance(page(2, Some(4), None), &b, &url).unwrap();
        assert!(out.done, "collected == TotalCount");
        assert_eq!(out.page_number, 2);

        let mut s =
            ListState::new(plan(Vendor::Vsax, "devices", o.clone()).unwrap(), None).unwrap();
        assert!(
            s.advance(page(1, None, None), &b, &url).unwrap().done,
            "short page"
        );
        let mut s = ListState::new(plan(Vendor::Vsax, "devices", o).unwrap(), None).unwrap();
        assert!(
            s.advance(page(0, Some(10), None), &b, &url).unwrap().done,
            "empty page"
        );
    }

    #[test]
    fn next_links_are_checked_and_loops_refused() {
        let b = base(Vendor::Vsa9Warehouse);
        let mut s = ListState::new(
            plan(Vendor::Vsa9Warehouse, "Agents", ListOptions::default()).unwrap(),
            None,
        )
        .unwrap();
        let url = s.request(&b).unwrap().url;
        let e = s.advance(
            page(
                1,
                None,
                Some("https://evil.example.com/api/odata/1.0/Agents?p=2"),
            ),
            &b,
            &url,
        );
        assert_eq!(e.unwrap_err().code(), ErrorCode::UnsafeLink);
        let e = s.advance(page(1, None, Some(url.as_str())), &b, &url);
        assert_eq!(e.unwrap_err().code(), ErrorCode::BadResponse);
        // Failed pages leave the position where it was: page 1 is still next.
        let out = s
            .advance(page(1, None, Some("Agents?$skiptoken=1")), &b, &url)
            .unwrap();
        assert_eq!(out.page_number, 1);
        assert_eq!(
            s.request(&b).unwrap().url.as_str(),
            "https://vsa.example.com/api/odata/1.0/Agents?$skiptoken=1"
        );
    }

    #[test]
    fn autotask_follows_links_with_the_original_body_and_cursors_carry_the_last_id() {
        let b = base(Vendor::Autotask);
        let mut s = ListState::new(
            plan(Vendor::Autotask, "Companies", ListOptions::default()).unwrap(),
            None,
        )
        .unwrap();
        let first = s.request(&b).unwrap();
        let next = "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging=%7B%7D";
        let out = s
            .advance(page(500, None, Some(next)), &b, &first.url)
            .unwrap();
        assert!(!out.done);
        let second = s.request(&b).unwrap();
        assert_eq!(second.url.as_str(), next);
        assert_eq!(second.body, first.body);
        assert!(out.cursor.contains("\"after_id\":500"));
        assert!(
            !out.cursor.contains("next"),
            "Autotask cursors carry no link: {}",
            out.cursor
        );

        let resumed = ListState::new(
            plan(Vendor::Autotask, "Companies", ListOptions::default()).unwrap(),
            Some(&out.cursor),
        )
        .unwrap();
        let body = resumed.request(&b).unwrap().body.unwrap();
        assert!(
            body.contains(r#"{"field":"id","op":"gt","value":500}"#),
            "{body}"
        );
    }
}
