//! One page of an Accounting API response, checked and summarised for the cursor in one
//! streaming pass that picks the few fields it needs and skips the rest, with the body kept as
//! text so Postgres parses the records itself (no per-record work in Rust beyond this pass).

pub use super::envelope::{Fields, Pagination};
use super::envelope::{Summary, summarize};
use super::error::XeroError;

/// A response page: the raw body and what the cursor needs from it.
#[derive(Debug, Default)]
pub struct Page {
    /// The whole response body, as Xero sent it.
    pub body: String,
    /// How many records the collection holds.
    pub records: usize,
    /// The records' ids (the entity's id field), in the order Xero sent them.
    pub ids: Vec<String>,
    /// The greatest `UpdatedDateUTC` on the page, in epoch milliseconds.
    pub max_updated_ms: Option<i64>,
    /// The greatest value of the offset field (e.g. `JournalNumber`), when asked for.
    pub max_number: Option<i64>,
    /// The envelope's `DateTimeUTC`: Xero's clock when it answered.
    pub server_ms: Option<i64>,
    /// The `pagination` object, on paged endpoints.
    pub pagination: Option<Pagination>,
    /// Where the records' JSON lies in `body`: between the collection's brackets.
    pub records_span: std::ops::Range<usize>,
}

impl Page {
    /// Parses a body: it must be a JSON object whose `collection` is an array of objects. A
    /// truncated or otherwise malformed body is an error, never an empty page.
    pub fn parse(body: String, fields: Fields<'_>) -> Result<Page, XeroError> {
        let summary = summarize(&body, fields)
            .map_err(|e| XeroError::Malformed(format!("response is not valid: {e}")))?;
        let Summary {
            records,
            ids,
            max_updated_ms,
            max_number,
            server_ms,
            pagination,
            found,
            records_span,
        } = summary;
        if !found {
            return Err(XeroError::Malformed(format!(
                "response has no `{}` array",
                fields.collection
            )));
        }
        Ok(Page {
            body,
            records,
            ids,
            max_updated_ms,
            max_number,
            server_ms,
            pagination,
            records_span,
        })
    }

    /// The records' JSON text, without the surrounding brackets (empty for no records).
    pub fn records_json(&self) -> &str {
        self.body
            .get(self.records_span.clone())
            .unwrap_or_default()
            .trim()
    }

    /// One body holding the records of every page, in order, under `collection`: what a
    /// batch's statements store in one go (`{"Invoices":[…page 1…,…page 2…]}`).
    pub fn combined(pages: &[Page], collection: &str) -> String {
        let size: usize = pages.iter().map(|p| p.records_span.len() + 1).sum();
        let mut body = String::with_capacity(size + collection.len() + 8);
        body.push_str("{\"");
        body.push_str(collection);
        body.push_str("\":[");
        let mut first = true;
        for records in pages
            .iter()
            .map(Page::records_json)
            .filter(|r| !r.is_empty())
        {
            if !first {
                body.push(',');
            }
            body.push_str(records);
            first = false;
        }
        body.push_str("]}");
        body
    }

    /// Adds the run's id (`"run":"…"`) to a [`Page::combined`] body: statements that mirror
    /// removals over several batches stamp what each batch met with it.
    pub fn mark_run(body: &mut String, run_id: uuid::Uuid) {
        mark(body, "run", &format!("\"{}\"", run_id.hyphenated()));
    }

    /// Marks a [`Page::combined`] body as Xero's whole set (`"complete":true` beside the
    /// records).
    pub fn mark_complete(body: &mut String) {
        mark(body, "complete", "true");
    }

    /// Adds the numbers an offset walk covered to a [`Page::combined`] body
    /// (`"numbers":{"after":N,"through":M}`): Xero has no record numbered above `after` and up
    /// to `through` (`None`: without end) but those in the body.
    pub fn mark_numbers(body: &mut String, after: i64, through: Option<i64>) {
        let through = through.map_or_else(|| "null".to_owned(), |n| n.to_string());
        mark(
            body,
            "numbers",
            &format!("{{\"after\":{after},\"through\":{through}}}"),
        );
    }

    /// Marks a [`Page::combined`] body as summaries (`"summary":true`): records Xero sent
    /// without some of their fields (`summaryOnly=true`).
    pub fn mark_summary(body: &mut String) {
        mark(body, "summary", "true");
    }

    /// Whether Xero says more records follow under the same request (a short page is then not
    /// the end).
    pub fn more(&self) -> bool {
        self.pagination.is_some_and(|p| p.more())
    }
}

/// Adds `"key":value` (value already JSON) to the end of a body that is a JSON object.
fn mark(body: &mut String, key: &str, value: &str) {
    if body.ends_with('}') {
        body.pop();
        body.push_str(",\"");
        body.push_str(key);
        body.push_str("\":");
        body.push_str(value);
        body.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOURNALS: Fields<'static> = Fields {
        collection: "Journals",
        id: "JournalID",
        number: Some("JournalNumber"),
    };
    const INVOICES: Fields<'static> = Fields {
        collection: "Invoices",
        id: "InvoiceID",
        number: None,
    };

    #[test]
    fn a_page_reports_its_count_ids_greatest_values_and_xeros_clock() {
        let body = r#"{"DateTimeUTC":"/Date(9000)/","Journals":[
            {"JournalID":"a","JournalNumber":3,"UpdatedDateUTC":"/Date(2000+0000)/","X":{"Y":[1]}},
            {"JournalNumber":7,"JournalID":"b","UpdatedDateUTC":"/Date(1000+0000)/"}]}"#;
        let page = Page::parse(body.into(), JOURNALS).expect("valid");
        assert_eq!(page.records, 2);
        assert_eq!(page.ids, ["a", "b"]);
        assert_eq!(page.max_number, Some(7));
        assert_eq!(page.max_updated_ms, Some(2000));
        assert_eq!(page.server_ms, Some(9000));
        assert_eq!(page.pagination, None);
    }

    #[test]
    fn pages_combine_into_one_body_of_all_their_records_in_order() {
        let one = Page::parse(
            r#"{"Invoices": [ {"InvoiceID":"a"} ] ,"X":1}"#.into(),
            INVOICES,
        );
        let empty = Page::parse(r#"{"Invoices":[]}"#.into(), INVOICES);
        let two = Page::parse(
            r#"{"Id":"x","Invoices":[{"InvoiceID":"b"},{"InvoiceID":"c","L":[1,2]}]}"#.into(),
            INVOICES,
        );
        let pages = [
            one.expect("valid"),
            empty.expect("valid"),
            two.expect("valid"),
        ];
        let body = Page::combined(&pages, "Invoices");
        let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        let ids: Vec<&str> = value["Invoices"]
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["InvoiceID"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            Page::combined(&pages[1..2], "Invoices"),
            r#"{"Invoices":[]}"#
        );
    }

    #[test]
    fn the_pagination_object_is_read_and_says_whether_more_follow() {
        let body = r#"{"pagination":{"page":1,"pageSize":1000,"pageCount":3,"itemCount":2500},
                       "Invoices":[]}"#;
        let page = Page::parse(body.into(), INVOICES).expect("valid");
        assert!(page.more());
        assert_eq!(page.pagination.map(|p| p.item_count), Some(2500));
    }

    #[test]
    fn a_truncated_body_is_malformed_not_empty() {
        let err = Page::parse(r#"{"Invoices":[{"InvoiceID":"a"#.into(), INVOICES);
        assert!(matches!(err, Err(XeroError::Malformed(_))));
    }

    #[test]
    fn a_body_without_the_collection_is_malformed() {
        let err = Page::parse(r#"{"Status":"OK"}"#.into(), INVOICES);
        assert!(matches!(err, Err(XeroError::Malformed(m)) if m.contains("Invoices")));
    }

    #[test]
    fn non_object_records_bad_dates_and_missing_numbers_are_malformed() {
        for body in [
            r#"{"Invoices":[1]}"#,
            r#"{"Invoices":[{"UpdatedDateUTC":"yesterday"}]}"#,
            r#"{"Invoices":{}}"#,
            r#"{"Invoices":[]} trailing"#,
        ] {
            assert!(Page::parse(body.into(), INVOICES).is_err(), "{body}");
        }
        let err = Page::parse(r#"{"Journals":[{"JournalID":"a"}]}"#.into(), JOURNALS);
        assert!(err.is_err());
    }

    #[test]
    fn a_combined_body_carries_the_marks_as_json_beside_its_records() {
        let mut body = r#"{"Journals":[{"JournalID":"a"}]}"#.to_owned();
        Page::mark_numbers(&mut body, 30, Some(130));
        Page::mark_complete(&mut body);
        let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(
            value["numbers"],
            serde_json::json!({"after": 30, "through": 130})
        );
        assert_eq!(value["complete"], true);
        let mut last = r#"{"Journals":[]}"#.to_owned();
        Page::mark_numbers(&mut last, 130, None);
        assert!(
            last.ends_with(r#""numbers":{"after":130,"through":null}}"#),
            "{last}"
        );
    }
}
