//! One page of an Accounting API response, checked and summarised for the cursor, with its body
//! kept as text so Postgres parses the records itself (no per-record work in Rust).

use serde_json::Value;

use super::XeroError;
use super::dates::parse_ms_date;

/// A response page: the raw body and what the cursor needs from it.
#[derive(Debug)]
pub struct Page {
    /// The whole response body, as Xero sent it.
    pub body: String,
    /// How many records the collection holds.
    pub records: usize,
    /// The greatest `UpdatedDateUTC` on the page, in epoch milliseconds.
    pub max_updated_ms: Option<i64>,
    /// The greatest value of the offset field (e.g. `JournalNumber`), when asked for.
    pub max_number: Option<i64>,
}

impl Page {
    /// Parses a body: it must be a JSON object whose `collection` is an array of objects. A
    /// truncated or otherwise malformed body is an error, never an empty page.
    pub fn parse(
        body: String,
        collection: &str,
        number_field: Option<&str>,
    ) -> Result<Page, XeroError> {
        let value: Value = serde_json::from_str(&body)
            .map_err(|e| XeroError::Malformed(format!("response is not valid JSON: {e}")))?;
        let records = value
            .get(collection)
            .and_then(Value::as_array)
            .ok_or_else(|| XeroError::Malformed(format!("response has no `{collection}` array")))?;
        let mut max_updated_ms = None;
        let mut max_number = None;
        for record in records {
            let object = record.as_object().ok_or_else(|| {
                XeroError::Malformed(format!("`{collection}` holds a non-object element"))
            })?;
            if let Some(updated) = object.get("UpdatedDateUTC").and_then(Value::as_str) {
                let ms = parse_ms_date(updated).ok_or_else(|| {
                    XeroError::Malformed(format!("UpdatedDateUTC `{updated}` is not a Xero date"))
                })?;
                max_updated_ms = max_updated_ms.max(Some(ms));
            }
            if let Some(field) = number_field {
                let number = object.get(field).and_then(Value::as_i64).ok_or_else(|| {
                    XeroError::Malformed(format!("a record has no integer `{field}`"))
                })?;
                max_number = max_number.max(Some(number));
            }
        }
        let records = records.len();
        Ok(Page {
            body,
            records,
            max_updated_ms,
            max_number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reports_its_count_and_greatest_values() {
        let body = r#"{"Journals":[{"JournalNumber":3,"UpdatedDateUTC":"/Date(2000+0000)/"},
                                   {"JournalNumber":7,"UpdatedDateUTC":"/Date(1000+0000)/"}]}"#;
        let page = Page::parse(body.into(), "Journals", Some("JournalNumber")).expect("valid");
        assert_eq!(page.records, 2);
        assert_eq!(page.max_number, Some(7));
        assert_eq!(page.max_updated_ms, Some(2000));
    }

    #[test]
    fn a_truncated_body_is_malformed_not_empty() {
        let err = Page::parse(r#"{"Invoices":[{"InvoiceID":"a"#.into(), "Invoices", None);
        assert!(matches!(err, Err(XeroError::Malformed(_))));
    }

    #[test]
    fn a_body_without_the_collection_is_malformed() {
        let err = Page::parse(r#"{"Status":"OK"}"#.into(), "Invoices", None);
        assert!(matches!(err, Err(XeroError::Malformed(m)) if m.contains("Invoices")));
    }
}
