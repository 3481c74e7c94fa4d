//! Records decoded into typed columns, for the entities stored by columns
//! ([`Store::Columns`](xero_sync::entity::Store)).
//!
//! A record is read as its fields, each value left as the JSON text Xero sent. A line's field
//! is *taken* into a typed column only when the typed value says exactly what Xero sent (a
//! string, a number, a UUID in its canonical form…); whatever is not taken stays, and becomes
//! the line's `raw`. So the typed columns and `raw` together hold every field, each once, and
//! the record can be rebuilt as it was sent (`typed || raw`, `raw` winning).

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDate};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use sqlx::Arguments;
use sqlx::postgres::PgArguments;
use uuid::Uuid;

const MS_PER_DAY: i64 = 86_400_000;

/// One JSON object's fields in the order sent, each value as its JSON text.
#[derive(Debug, Default)]
pub struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Fields<'a> {
    /// The fields of a JSON object.
    pub fn parse(json: &'a RawValue) -> Result<Fields<'a>, String> {
        serde_json::from_str(json.get()).map_err(|e| format!("not a JSON object: {e}"))
    }

    /// The value of `key`, if sent.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<&'a RawValue> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// `key`'s string (not a number or anything else read as one).
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(string)
    }

    /// `key`'s string as a UUID, in whatever case it was sent.
    pub fn uuid(&self, key: &str) -> Option<Uuid> {
        self.text(key).and_then(|s| Uuid::parse_str(&s).ok())
    }

    /// `key`'s integer.
    pub fn integer(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.get().parse().ok())
    }

    /// Takes `key`'s string: a text column holds it exactly.
    pub fn take_text(&mut self, key: &str) -> Option<String> {
        let value = self.text(key)?;
        self.remove(key);
        Some(value)
    }

    /// Takes `key`'s UUID; one not written in the canonical lower-case form stays as sent too.
    pub fn take_uuid(&mut self, key: &str) -> Option<Uuid> {
        let text = self.text(key)?;
        let id = Uuid::parse_str(&text).ok()?;
        if id.hyphenated().to_string() == text {
            self.remove(key);
        }
        Some(id)
    }

    /// Takes `key`'s integer.
    pub fn take_integer(&mut self, key: &str) -> Option<i64> {
        let value = self.integer(key)?;
        self.remove(key);
        Some(value)
    }

    /// Takes `key`'s Xero instant (`/Date(ms+0000)/`) as epoch milliseconds; written any other
    /// way (another offset, no offset) it stays as sent too.
    pub fn take_instant(&mut self, key: &str) -> Option<i64> {
        let text = self.text(key)?;
        let ms = xero_sync::xero::dates::parse_ms_date(&text)?;
        if text == format!("/Date({ms}+0000)/") {
            self.remove(key);
        }
        Some(ms)
    }

    /// Takes `key`'s Xero date (`/Date(ms+0000)/` at midnight UTC) as a calendar date; one at
    /// another time of day stays as sent too.
    pub fn take_date(&mut self, key: &str) -> Option<NaiveDate> {
        let text = self.text(key)?;
        let ms = xero_sync::xero::dates::parse_ms_date(&text)?;
        let date = DateTime::from_timestamp_millis(ms)?.date_naive();
        if ms.rem_euclid(MS_PER_DAY) == 0 && text == format!("/Date({ms}+0000)/") {
            self.remove(key);
        }
        Some(date)
    }

    /// Takes `key`'s number as its decimal text (for a `numeric` column: exact, unlike `f64`).
    pub fn take_number(&mut self, key: &str) -> Option<String> {
        let value = self.get(key)?.get();
        let number = value.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        if !number {
            return None;
        }
        self.remove(key);
        Some(value.to_owned())
    }

    /// Takes `key`'s value, whatever it is but `null`, as JSON text (for a `jsonb` column).
    pub fn take_json(&mut self, key: &str) -> Option<String> {
        let value = self.get(key)?.get();
        if value == "null" {
            return None;
        }
        self.remove(key);
        Some(value.to_owned())
    }

    /// The fields left, as a JSON object.
    pub fn to_json(&self) -> String {
        let size: usize = self
            .0
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum();
        let mut out = String::with_capacity(size + 2);
        out.push('{');
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // A key is a string that was valid JSON: writing it back cannot fail.
            out.push_str(&serde_json::to_string(key.as_ref()).unwrap_or_default());
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }
}

/// A JSON string's value; `None` for anything else.
fn string(value: &RawValue) -> Option<String> {
    let text = value.get();
    if !text.starts_with('"') {
        return None;
    }
    match text.get(1..text.len() - 1) {
        Some(inner) if !inner.contains('\\') => Some(inner.to_owned()),
        _ => serde_json::from_str(text).ok(),
    }
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(Key(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            fields.push((key, value));
        }
        Ok(Fields(fields))
    }
}

/// An object's key, borrowed from the text unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Arguments of one statement, bound in order.
#[derive(Default)]
pub struct Bind(PgArguments);

impl Bind {
    /// Binds the next argument.
    pub fn push<'q, T>(mut self, value: T) -> Result<Bind, String>
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.0
            .add(value)
            .map_err(|e| format!("cannot bind an argument: {e}"))?;
        Ok(self)
    }

    /// The arguments, for [`sqlx::query_with`].
    pub fn done(self) -> PgArguments {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Fields<'_> {
        let raw: &RawValue = serde_json::from_str(json).expect("valid JSON");
        Fields::parse(raw).expect("an object")
    }

    #[test]
    fn a_field_is_taken_only_when_its_column_holds_it_exactly() {
        let json = r#"{"Name":"Sales","Code":400,"ID":"4D25F483-DB50-4DD3-A29B-8C187D567432",
            "Other":"95fd6cf4-f4a2-4da1-b749-f36f47a47193","Amount":16822.10,"Count":"7",
            "Tracking":[{"Name":"Region"}],"Note":null,"Esc\"aped":"a\"b"}"#;
        let mut f = fields(json);
        assert_eq!(f.take_text("Name").as_deref(), Some("Sales"));
        // A number is no text: it stays as sent.
        assert_eq!(f.take_text("Code"), None);
        let upper = f.take_uuid("ID").expect("a UUID");
        assert_eq!(upper.to_string(), "4d25f483-db50-4dd3-a29b-8c187d567432");
        assert!(f.take_uuid("Other").is_some());
        // The decimal text itself, trailing zero and all.
        assert_eq!(f.take_number("Amount").as_deref(), Some("16822.10"));
        assert_eq!(f.take_number("Count"), None);
        assert_eq!(
            f.take_json("Tracking").as_deref(),
            Some(r#"[{"Name":"Region"}]"#)
        );
        assert_eq!(f.take_json("Note"), None);
        assert_eq!(f.take_text("Esc\"aped").as_deref(), Some("a\"b"));
        let rest: serde_json::Value = serde_json::from_str(&f.to_json()).expect("JSON");
        assert_eq!(
            rest,
            serde_json::json!({"Code":400,"ID":"4D25F483-DB50-4DD3-A29B-8C187D567432",
                               "Count":"7","Note":null})
        );
    }

    #[test]
    fn dates_are_taken_only_in_the_form_they_are_written_back() {
        let mut f = fields(
            r#"{"N":12,"D":"/Date(1577836800000+0000)/","At":"/Date(-1+0000)/",
                "Noon":"/Date(1577880000000+0000)/","Bare":"/Date(1577836800000)/","S":"x"}"#,
        );
        assert_eq!(f.take_integer("N"), Some(12));
        assert_eq!(f.take_integer("S"), None);
        let day = NaiveDate::from_ymd_opt(2020, 1, 1);
        assert_eq!(f.take_date("D"), day);
        assert_eq!(f.take_instant("At"), Some(-1));
        // Typed all the same, but kept as sent: a date column has no time of day, and the
        // form without an offset would be written back with one.
        assert_eq!(f.take_date("Noon"), day);
        assert_eq!(f.take_instant("Bare"), Some(1_577_836_800_000));
        let rest: serde_json::Value = serde_json::from_str(&f.to_json()).expect("JSON");
        assert_eq!(
            rest,
            serde_json::json!({"Noon":"/Date(1577880000000+0000)/",
                               "Bare":"/Date(1577836800000)/","S":"x"})
        );
    }
}
