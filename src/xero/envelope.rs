//! The streaming pass over a response body: picks the few fields the cursor needs (count, ids,
//! greatest `UpdatedDateUTC` and number, Xero's clock, `pagination`) and where the records lie,
//! skipping everything else without building it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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

/// What the pass found.
#[derive(Debug, Default)]
pub(super) struct Summary {
    /// Records in the collection.
    pub records: usize,
    /// Their ids, in order.
    pub ids: Vec<String>,
    /// The greatest `UpdatedDateUTC`, in milliseconds.
    pub max_updated_ms: Option<i64>,
    /// The greatest offset number.
    pub max_number: Option<i64>,
    /// Xero's clock (`DateTimeUTC` of the envelope), in milliseconds.
    pub server_ms: Option<i64>,
    /// The `pagination` object, if any.
    pub pagination: Option<Pagination>,
    /// Whether the collection was there.
    pub found: bool,
    /// Where the records' JSON lies in the body.
    pub records_span: std::ops::Range<usize>,
}

/// Summarises a body in one pass: a JSON object whose `collection` is an array of objects, and
/// nothing after it.
pub(super) fn summarize(body: &str, fields: Fields<'_>) -> Result<Summary, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(body);
    let base = body.as_ptr() as usize;
    EnvelopeSeed(fields, base)
        .deserialize(&mut de)
        .and_then(|s| de.end().map(|()| s))
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
