//! Xero's JSON dates. Instants come as `/Date(1551981568133+0000)/` (epoch milliseconds; the
//! offset is display-only), and `If-Modified-Since` is sent at second precision.

use chrono::{DateTime, SubsecRound, Utc};

/// Parses `/Date(ms)/` or `/Date(ms+zzzz)/` into epoch milliseconds.
pub fn parse_ms_date(value: &str) -> Option<i64> {
    let inner = value.strip_prefix("/Date(")?.strip_suffix(")/")?;
    // The sign of the offset follows the (possibly negative) number: skip the first character.
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner[..end].parse().ok()
}

/// An instant from epoch milliseconds.
pub fn from_ms(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// The value of an `If-Modified-Since` header: UTC, to the second, as RFC 3339 with its zone
/// (`2019-03-07T17:59:28Z`). Xero documents the zone-less `yyyy-mm-ddThh:mm:ss` and reads it as
/// UTC, but a server validating Xero's own spec (`format: date-time`) refuses it, and with the
/// zone no reader can take it for local time.
pub fn modified_since_header(at: DateTime<Utc>) -> String {
    at.trunc_subsecs(0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_dates_parse_with_and_without_offsets() {
        assert_eq!(
            parse_ms_date("/Date(1551981568133+0000)/"),
            Some(1551981568133)
        );
        assert_eq!(parse_ms_date("/Date(1439434356790)/"), Some(1439434356790));
        assert_eq!(parse_ms_date("/Date(-86400000+0000)/"), Some(-86400000));
        assert_eq!(parse_ms_date("/Date(0+0000)/"), Some(0));
        assert_eq!(
            parse_ms_date("/Date(1551981568133-0500)/"),
            Some(1551981568133)
        );
        assert_eq!(parse_ms_date("2019-03-07T17:59:28Z"), None);
        assert_eq!(parse_ms_date("/Date(abc)/"), None);
    }

    #[test]
    fn modified_since_is_truncated_to_the_second() {
        let at = from_ms(1551981568133).expect("valid instant");
        assert_eq!(modified_since_header(at), "2019-03-07T17:59:28Z");
    }
}
