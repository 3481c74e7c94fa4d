//! The kinds of value settings share: secrets that never print, durations like `1h`, URLs.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest duration any setting accepts.
pub const MAX_SETTING: Duration = Duration::from_secs(31 * 86_400);

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// A sync interval; zero means "do not schedule".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Duration);

impl Interval {
    /// The interval, or `None` when scheduling is off.
    pub fn schedule(self) -> Option<Duration> {
        (!self.0.is_zero()).then_some(self.0)
    }
}

/// A duration like `90s`, `30m`, `1h`, `7d` or `0`, at most [`MAX_SETTING`].
pub fn parse_interval(value: &str) -> Result<Interval, String> {
    parse_duration(value, MAX_SETTING)
}

/// A retention period: like [`parse_interval`], up to ten years.
pub fn parse_retention(value: &str) -> Result<Interval, String> {
    parse_duration(value, Duration::from_secs(3650 * 86_400))
}

fn parse_duration(value: &str, max: Duration) -> Result<Interval, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a duration like 1h, 30m, 90s or 0"))?;
    let unit_secs = match unit {
        "" if number == 0 => 1,
        "" => {
            return Err(format!(
                "`{value}` has no unit: write {number}s, {number}m, {number}h or {number}d"
            ));
        }
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{value}`: the unit must be s, m, h or d")),
    };
    let seconds = number
        .checked_mul(unit_secs)
        .filter(|&s| s <= max.as_secs())
        .ok_or_else(|| {
            format!(
                "`{value}` is longer than the {} days this setting may be",
                max.as_secs() / 86_400
            )
        })?;
    Ok(Interval(Duration::from_secs(seconds)))
}

/// A tenant id: a UUID, as `xero-sync connections` lists them.
pub fn parse_tenant_id(value: &str) -> Result<uuid::Uuid, String> {
    uuid::Uuid::parse_str(value.trim()).map_err(|_| {
        format!(
            "`{value}` is not a tenant id: a UUID is expected, like \
             4f1e2a3b-5c6d-4e7f-8a9b-0c1d2e3f4a5b (`xero-sync connections` lists them)"
        )
    })
}

/// An http(s) URL, without a trailing slash.
pub fn parse_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("`{value}` is not an http(s) URL"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("`{value}` is not an http(s) URL"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }

    #[test]
    fn intervals_read_seconds_minutes_hours_and_days() {
        assert_eq!(parse_interval("90s"), Ok(Interval(Duration::from_secs(90))));
        assert_eq!(
            parse_interval("30m"),
            Ok(Interval(Duration::from_secs(1800)))
        );
        assert_eq!(
            parse_interval("1h"),
            Ok(Interval(Duration::from_secs(3600)))
        );
        assert_eq!(
            parse_interval("2d"),
            Ok(Interval(Duration::from_secs(172_800)))
        );
        assert_eq!(parse_interval("0").map(Interval::schedule), Ok(None));
        assert!(parse_interval("soon").is_err());
        let bare = parse_interval("1").expect_err("refused");
        assert!(bare.contains("no unit") && bare.contains("1m"), "{bare}");
        assert!(parse_interval("5y").is_err());
        assert!(parse_interval("32d").is_err());
        assert!(parse_interval("99999999999999999999d").is_err());
        assert!(parse_interval("9999999999999999d").is_err());
    }

    #[test]
    fn tenant_ids_must_be_uuids() {
        let id = "4f1e2a3b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
        assert_eq!(parse_tenant_id(id).expect("a UUID").to_string(), id);
        let error = parse_tenant_id("not-a-uuid").expect_err("refused");
        assert!(error.contains("a UUID is expected"), "{error}");
    }

    #[test]
    fn urls_must_be_http() {
        assert_eq!(parse_url("http://x:1/").as_deref(), Ok("http://x:1"));
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://").is_err());
    }
}
