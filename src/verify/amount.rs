//! Amounts in cents: parsed from Xero's report strings and Postgres' numerics alike, so both
//! sides compare exactly, to the cent.

/// An amount in cents.
pub type Cents = i64;

/// Reads `"1234.56"`, `"1,234.56"`, `"-12.3"`, `"(12.30)"` (a negative in brackets) or `""`
/// (zero, as a report leaves an empty cell). More than two decimals round half away from zero.
pub fn parse(text: &str) -> Result<Cents, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match trimmed.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        },
    };
    let digits = digits.replace(',', "");
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(format!("`{text}` is not an amount"));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?
    };
    let mut cents: i64 = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(2)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    if fraction.as_bytes().get(2).is_some_and(|d| *d >= b'5') {
        cents += 1;
    }
    let total = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(|| format!("`{text}` is too large"))?;
    Ok(if negative { -total } else { total })
}

/// Cents as `1234.56` (`-0.05`).
pub fn show(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_reports_and_postgres_write() {
        assert_eq!(parse("1234.56"), Ok(123_456));
        assert_eq!(parse("1,234.5"), Ok(123_450));
        assert_eq!(parse("-0.05"), Ok(-5));
        assert_eq!(parse("(12.30)"), Ok(-1_230));
        assert_eq!(parse(""), Ok(0));
        assert_eq!(parse("7"), Ok(700));
        assert_eq!(parse("0.125"), Ok(13));
        assert_eq!(parse("10.0000"), Ok(1_000));
        assert!(parse("12a").is_err());
        assert!(parse("-").is_err());
        assert!(parse("1.2.3").is_err());
        assert_eq!(show(-5), "-0.05");
        assert_eq!(show(123_456), "1234.56");
    }
}
