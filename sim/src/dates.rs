//! Xero's date formats, field by field, and the parsing of `If-Modified-Since` and of a
//! report's `date`.
//!
//! - `UpdatedDateUTC`, `CreatedDateUTC` and calendar dates (`Date`, `DueDate`, `JournalDate`…)
//!   are `/Date(<epoch ms>+0000)/`; calendar dates are midnight UTC of the day.
//! - The envelope's `DateTimeUTC` is `/Date(<epoch ms>)/`, without an offset.
//! - `DateString`/`DueDateString` are `yyyy-mm-ddT00:00:00` (no zone); `UpdatedDateUTCString`
//!   is `yyyy-mm-ddThh:mm:ssZ` (milliseconds dropped).
//! - A report's `ReportDate` is `24 April 2019`; its `date` parameter is `2019-04-24`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};
use serde::{Serialize, Serializer};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// An instant rendered as `/Date(ms+0000)/` (Xero's `x-is-msdate-time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MsDateTime(pub i64);

impl Serialize for MsDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("/Date({}+0000)/", self.0))
    }
}

/// A calendar date stored as midnight UTC, rendered as `/Date(ms+0000)/` (`x-is-msdate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MsDate(pub i64);

impl MsDate {
    /// The calendar day containing the instant `ms`.
    pub fn of_instant(ms: i64) -> Self {
        Self(ms.div_euclid(DAY_MS) * DAY_MS)
    }

    /// `n` days later.
    pub fn plus_days(self, n: i64) -> Self {
        Self(self.0 + n * DAY_MS)
    }

    /// Midnight UTC of a calendar day.
    pub fn of_day(day: NaiveDate) -> Self {
        Self(day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
    }

    /// The calendar day.
    pub fn day(self) -> NaiveDate {
        utc(self.0).date_naive()
    }
}

impl Serialize for MsDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("/Date({}+0000)/", self.0))
    }
}

/// A calendar date's `DateString` companion: `2019-03-07T00:00:00`.
#[derive(Debug, Clone, Copy)]
pub struct DateString(pub MsDate);

impl Serialize for DateString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let day = utc(self.0.0).date_naive();
        s.collect_str(&format_args!("{}T00:00:00", day.format("%Y-%m-%d")))
    }
}

/// `UpdatedDateUTCString`: the instant to the second, with `Z`.
#[derive(Debug, Clone, Copy)]
pub struct UtcSecondString(pub MsDateTime);

impl Serialize for UtcSecondString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = utc(floor_to_second(self.0.0));
        s.collect_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// The envelope's `DateTimeUTC`: `/Date(ms)/` without an offset.
pub fn envelope_date(ms: i64) -> String {
    format!("/Date({ms})/")
}

/// A report's dates (`ReportDate`, the "As at" title): `24 April 2019`.
pub fn report_date(day: MsDate) -> String {
    day.day().format("%-d %B %Y").to_string()
}

/// A report's `date` parameter (`2019-10-31`), as a calendar day.
pub fn parse_report_date(raw: &str) -> Option<MsDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .map(MsDate::of_day)
}

/// The `/connections` date format. Real Xero sends `2019-12-07T18:46:19.5165400` (7 fractional
/// digits, no zone), but the official identity spec declares `format: date-time`, which requires
/// a zone; we follow the spec and append `Z`.
pub fn connection_date(ms: i64) -> String {
    let t = utc(ms);
    format!("{}0000Z", t.format("%Y-%m-%dT%H:%M:%S%.3f"))
}

/// A webhook event's `eventDateUtc`: `2025-12-02T00:44:09.923`, UTC with milliseconds and no
/// offset at all, as Xero sends it (the spec's `format: date-time` would want one; receivers
/// must parse it as UTC).
pub fn webhook_date(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

/// An ISO-8601 UTC rendering with milliseconds, for the control API.
pub fn iso_millis(ms: i64) -> String {
    utc(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Truncates epoch milliseconds to the start of their second.
pub fn floor_to_second(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000
}

fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Why an `If-Modified-Since` value was refused.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a valid If-Modified-Since date (use ISO 8601 or RFC 1123)")]
pub struct BadDate(pub String);

/// Parses `If-Modified-Since` into epoch milliseconds.
///
/// Accepts what real clients send: ISO 8601 with or without a zone and fraction
/// (`2024-01-02T03:04:05`, `…05.1234567`, `…05Z`, `…05.123-08:00`), a bare date, and RFC 1123
/// (`Tue, 02 Jan 2024 03:04:05 GMT`). A value without a zone is UTC, as Xero documents.
pub fn parse_if_modified_since(raw: &str) -> Result<i64, BadDate> {
    let value = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, pattern) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis());
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(value) {
        return Ok(t.timestamp_millis());
    }
    Err(BadDate(value.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_accepted_if_modified_since_format_means_the_same_instant() {
        let expected = 1_704_164_645_000; // 2024-01-02T03:04:05Z
        for raw in [
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05+00:00",
            "2024-01-01T19:04:05-08:00",
            "Tue, 02 Jan 2024 03:04:05 GMT",
        ] {
            assert_eq!(parse_if_modified_since(raw).unwrap(), expected, "{raw}");
        }
        assert_eq!(
            parse_if_modified_since("2024-01-02T03:04:05.1234567").unwrap(),
            expected + 123
        );
        assert!(parse_if_modified_since("yesterday").is_err());
    }

    #[test]
    fn dates_render_in_xero_formats() {
        let t = MsDateTime(1_551_981_568_133);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"/Date(1551981568133+0000)/\""
        );
        assert_eq!(
            serde_json::to_string(&UtcSecondString(t)).unwrap(),
            "\"2019-03-07T17:59:28Z\""
        );
        let day = MsDate::of_instant(t.0);
        assert_eq!(day.0, 1_551_916_800_000);
        assert_eq!(
            serde_json::to_string(&DateString(day)).unwrap(),
            "\"2019-03-07T00:00:00\""
        );
        assert_eq!(envelope_date(5), "/Date(5)/");
        assert_eq!(report_date(day), "7 March 2019");
        assert_eq!(parse_report_date("2019-03-07"), Some(day));
        assert_eq!(parse_report_date("2019-02-30"), None);
        assert_eq!(connection_date(0), "1970-01-01T00:00:00.0000000Z");
    }
}
