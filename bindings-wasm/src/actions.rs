//! What `poll` returns, as one JSON text the JS wrapper parses with a single `JSON.parse`:
//! a page's records go in as the text the server sent (spliced, never re-encoded), so
//! delivering a page costs about what parsing its body costs.

use mspkit_core::{Action, ConnectionReport, Event, Request};
use serde::Serialize;

use crate::errors::ErrorData;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestData<'a> {
    id: u32,
    method: &'static str,
    url: &'a str,
    headers: &'a [(String, String)],
    body: Option<&'a str>,
}

impl<'a> From<&'a Request> for RequestData<'a> {
    fn from(r: &'a Request) -> Self {
        RequestData {
            id: r.id,
            method: r.method.as_str(),
            url: &r.url,
            headers: &r.headers,
            body: r.body.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportData<'a> {
    ok: bool,
    vendor: &'static str,
    base_url: Option<&'a str>,
    organization_count: Option<u64>,
    message: &'a str,
    error: Option<ErrorData<'a>>,
    requests_made: u32,
}

impl<'a> From<&'a ConnectionReport> for ReportData<'a> {
    fn from(r: &'a ConnectionReport) -> Self {
        ReportData {
            ok: r.ok,
            vendor: r.vendor.id(),
            base_url: r.base_url.as_deref(),
            organization_count: r.organization_count,
            message: &r.message,
            error: r.error.as_ref().map(ErrorData::from),
            requests_made: r.requests_made,
        }
    }
}

/// Every event but a page's records; a page's `items` are appended as raw text.
#[derive(Serialize)]
#[serde(
    tag = "kind",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
enum EventData<'a> {
    Page {
        job: u32,
        item_count: usize,
        total: Option<u64>,
        page_number: u32,
        cursor: &'a str,
    },
    Done {
        job: u32,
        requests_made: u32,
        item_count: u64,
    },
    Failed {
        job: u32,
        error: ErrorData<'a>,
        requests_made: u32,
    },
    Connection {
        job: u32,
        report: ReportData<'a>,
    },
}

impl<'a> From<&'a Event> for EventData<'a> {
    fn from(event: &'a Event) -> Self {
        match event {
            Event::Page(p) => EventData::Page {
                job: p.job,
                item_count: p.items.len(),
                total: p.total,
                page_number: p.page_number,
                cursor: &p.cursor,
            },
            Event::Done {
                job,
                requests_made,
                items,
            } => EventData::Done {
                job: *job,
                requests_made: *requests_made,
                item_count: *items,
            },
            Event::Failed {
                job,
                error,
                requests_made,
            } => EventData::Failed {
                job: *job,
                error: error.into(),
                requests_made: *requests_made,
            },
            Event::Connection { job, report } => EventData::Connection {
                job: *job,
                report: report.into(),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
enum ActionData<'a> {
    Send { request: RequestData<'a> },
    Wait { until_ms: u64 },
    Event { event: EventData<'a> },
}

/// The action as JSON text: `{"type":"send","request":{...}}`, `{"type":"wait",...}` or
/// `{"type":"event","event":{"kind":"page",...,"items":[...]}}`.
pub fn to_json(action: &Action) -> String {
    let data = match action {
        Action::Send(request) => ActionData::Send {
            request: request.into(),
        },
        Action::Wait { until_ms } => ActionData::Wait {
            until_ms: *until_ms,
        },
        Action::Event(event) => ActionData::Event {
            event: event.into(),
        },
    };
    // Plain structs of strings and integers: serialising them cannot fail.
    let text = serde_json::to_string(&data).unwrap_or_default();
    match action {
        Action::Event(Event::Page(page)) => splice_items(&text, page.items.as_json()),
        _ => text,
    }
}

/// `{"type":"event","event":{...}}` with `,"items":<records>` added to the event object.
fn splice_items(text: &str, items: &str) -> String {
    // The text ends with the event's `}` then the action's `}`.
    let head = text.strip_suffix("}}").unwrap_or(text);
    let mut out = String::with_capacity(head.len() + items.len() + 16);
    out.push_str(head);
    out.push_str(",\"items\":");
    out.push_str(items);
    out.push_str("}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mspkit_core::{Items, Method, Page};
    use serde_json::{json, Value};

    fn parsed(action: &Action) -> Value {
        serde_json::from_str(&to_json(action)).unwrap()
    }

    #[test]
    fn actions_are_tagged_camel_case_json() {
        let send = Action::Send(Request {
            id: 3,
            method: Method::Post,
            url: "https://x.example/a".into(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: Some("{}".into()),
        });
        assert_eq!(
            parsed(&send),
            json!({"type": "send", "request": {"id": 3, "method": "POST",
                   "url": "https://x.example/a", "headers": [["Accept", "application/json"]], "body": "{}"}})
        );
        assert_eq!(
            parsed(&Action::Wait { until_ms: 5 }),
            json!({"type": "wait", "untilMs": 5})
        );
    }

    #[test]
    fn page_records_are_spliced_in_as_sent() {
        let items = Items::from_values(&[json!({"a": "x\"}}"}), json!({"b": [1, 2]})]);
        let page = Action::Event(Event::Page(Page {
            job: 1,
            items,
            total: None,
            page_number: 2,
            cursor: "c".into(),
        }));
        assert_eq!(
            parsed(&page),
            json!({"type": "event", "event": {"kind": "page", "job": 1, "itemCount": 2,
                   "total": null, "pageNumber": 2, "cursor": "c",
                   "items": [{"a": "x\"}}"}, {"b": [1, 2]}]}})
        );
        let done = Action::Event(Event::Done {
            job: 1,
            requests_made: 4,
            items: 9,
        });
        assert_eq!(
            parsed(&done)["event"],
            json!({"kind": "done", "job": 1, "requestsMade": 4, "itemCount": 9})
        );
    }
}
