//! One page of an Accounting API response, checked and summarised for the cursor in one
//! streaming pass that picks the few fields it needs and skips the rest, with the body kept as
//! text so Postgres parses the records itself (no per-record work in Rust beyond this pass).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::client::XeroError;
use super::dates::parse_ms_date;

/// Xero's `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Pagination {
    /// The page answered.
    pub page: u32,
    /// Its page size.
    pub page_size: u32,
    /// Pages in all, at that page size.
    pub page_count: u32,
    /// Records in all.
    pub item_count: u64,
}

impl Pagination {
    /// Whether Xero says pages follow this one.
    pub fn more(&self) -> bool {
        self.page < self.page_count
    }
}

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

/// Which fields of a record the cursor reads.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// Key of the record array in the envelope, e.g. `Invoices`.
    pub collection: &'a str,
    /// Key of the record's id, e.g. `InvoiceID`.
    pub id: &'a str,
    /// Key of the offset number (Journals' `JournalNumber`), if the entity walks by offset.
    pub number: Option<&'a str>,
}

impl Page {
    /// Parses a body: it must be a JSON object whose `collection` is an array of objects. A
    /// truncated or otherwise malformed body is an error, never an empty page.
    pub fn parse(body: String, fields: Fields<'_>) -> Result<Page, XeroError> {
        let mut de = serde_json::Deserializer::from_str(&body);
        let base = body.as_ptr() as usize;
        let summary = EnvelopeSeed(fields, base)
            .deserialize(&mut de)
            .and_then(|s| de.end().map(|()| s))
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

#[derive(Debug, Default)]
struct Summary {
    records: usize,
    ids: Vec<String>,
    max_updated_ms: Option<i64>,
    max_number: Option<i64>,
    server_ms: Option<i64>,
    pagination: Option<Pagination>,
    found: bool,
    records_span: std::ops::Range<usize>,
}

/// A key of the envelope or of a record, compared without keeping it.
struct Key<F>(F);

impl<'de, F: Fn(&str) -> u8> DeserializeSeed<'de> for Key<F> {
    type Value = u8;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u8, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, F: Fn(&str) -> u8> Visitor<'de> for Key<F> {
    type Value = u8;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u8, E> {
        Ok((self.0)(v))
    }
}

const OTHER: u8 = 0;
const COLLECTION: u8 = 1;
const SERVER_TIME: u8 = 2;
const PAGINATION: u8 = 3;
const UPDATED: u8 = 1;
const ID: u8 = 2;
const NUMBER: u8 = 3;

/// The envelope's fields, and where the body starts in memory (to locate the records in it).
struct EnvelopeSeed<'a>(Fields<'a>, usize);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Summary;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Summary, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Summary;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response envelope object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Summary, A::Error> {
        let EnvelopeSeed(fields, base) = self;
        let mut summary = Summary::default();
        let which = |k: &str| match k {
            _ if k == fields.collection => COLLECTION,
            "DateTimeUTC" => SERVER_TIME,
            "pagination" => PAGINATION,
            _ => OTHER,
        };
        while let Some(key) = map.next_key_seed(Key(which))? {
            match key {
                COLLECTION => {
                    // Kept raw (borrowed from the body) to find it again, then read.
                    let raw: &'de serde_json::value::RawValue = map.next_value()?;
                    let text = raw.get();
                    let start = text.as_ptr() as usize - base;
                    let mut records = serde_json::Deserializer::from_str(text);
                    RecordsSeed(fields, &mut summary)
                        .deserialize(&mut records)
                        .map_err(de::Error::custom)?;
                    // Inside the brackets (the text is exactly the array).
                    summary.records_span = start + 1..start + text.len().saturating_sub(1);
                    summary.found = true;
                }
                SERVER_TIME => {
                    let value: Option<String> = map.next_value()?;
                    summary.server_ms = value.as_deref().and_then(parse_ms_date);
                }
                PAGINATION => summary.pagination = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(summary)
    }
}

struct RecordsSeed<'a, 's>(Fields<'a>, &'s mut Summary);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of `{}` records", self.0.collection)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let RecordsSeed(fields, summary) = self;
        while let Some(record) = seq.next_element_seed(RecordSeed(fields))? {
            summary.records += 1;
            if let Some(ms) = record.updated_ms {
                summary.max_updated_ms = summary.max_updated_ms.max(Some(ms));
            }
            if fields.number.is_some() {
                let number = record.number.ok_or_else(|| {
                    let field = fields.number.unwrap_or_default();
                    de::Error::custom(format!("a record has no integer `{field}`"))
                })?;
                summary.max_number = summary.max_number.max(Some(number));
            }
            summary.ids.push(record.id.unwrap_or_default());
        }
        Ok(())
    }
}

#[derive(Default)]
struct Record {
    id: Option<String>,
    updated_ms: Option<i64>,
    number: Option<i64>,
}

struct RecordSeed<'a>(Fields<'a>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Record;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Record;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a `{}` record object", self.0.collection)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let fields = self.0;
        let which = |k: &str| match k {
            "UpdatedDateUTC" => UPDATED,
            _ if k == fields.id => ID,
            _ if Some(k) == fields.number => NUMBER,
            _ => OTHER,
        };
        let mut record = Record::default();
        while let Some(key) = map.next_key_seed(Key(which))? {
            match key {
                UPDATED => {
                    let raw: Option<String> = map.next_value()?;
                    if let Some(raw) = raw {
                        let ms = parse_ms_date(&raw).ok_or_else(|| {
                            de::Error::custom(format!("UpdatedDateUTC `{raw}` is not a Xero date"))
                        })?;
                        record.updated_ms = Some(ms);
                    }
                }
                ID => record.id = map.next_value()?,
                NUMBER => record.number = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(record)
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
}
