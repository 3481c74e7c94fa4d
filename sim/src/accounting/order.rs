//! Xero's `order` parameter (`UpdatedDateUTC DESC, Name`), and what `where` and `order` both
//! read of a record: a field by its path, and dates as Xero writes them.

use std::cmp::Ordering;

use chrono::NaiveDateTime;
use serde_json::Value;

/// One field of an `order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The field's path.
    pub path: Vec<String>,
    /// `DESC`.
    pub descending: bool,
}

/// Parses `order` (`UpdatedDateUTC DESC, Name`).
pub fn parse_order(raw: &str) -> Result<Vec<OrderBy>, String> {
    let mut fields = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let mut words = part.split_whitespace();
        let field = words
            .next()
            .ok_or_else(|| format!("order `{raw}` names no field"))?;
        let descending = match words.next().map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(other) => return Err(format!("order `{raw}`: `{other}` is not ASC or DESC")),
        };
        if words.next().is_some() || !is_path(field) {
            return Err(format!("order `{raw}` is not supported by the simulator"));
        }
        fields.push(OrderBy {
            path: field.split('.').map(str::to_owned).collect(),
            descending,
        });
    }
    Ok(fields)
}

fn is_path(word: &str) -> bool {
    !word.is_empty()
        && word
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The value at `path` in a record.
pub fn field<'a>(record: &'a Value, path: &[String]) -> &'a Value {
    path.iter().fold(record, |v, key| &v[key.as_str()])
}

/// A date as Xero writes one (`/Date(1577836800000+0000)/` or `2020-01-01T00:00:00`), in ms.
pub fn date_ms(value: &Value) -> Option<i64> {
    let text = value.as_str()?;
    if let Some(inner) = text.strip_prefix("/Date(") {
        let digits: String = inner
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        return digits.parse().ok();
    }
    let trimmed = text.trim_end_matches('Z');
    let trimmed = trimmed.split('.').next().unwrap_or(trimmed);
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|at| at.and_utc().timestamp_millis())
}

/// How two records' values of one field order: dates as dates, numbers as numbers, text as
/// text, absent values first.
fn order_values(a: &Value, b: &Value) -> Ordering {
    if let (Some(x), Some(y)) = (date_ms(a), date_ms(b)) {
        return x.cmp(&y);
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Sorts records by `order` (stable: ties keep the default order).
pub fn sort(records: &mut [Value], order: &[OrderBy]) {
    records.sort_by(|a, b| {
        order
            .iter()
            .map(|by| {
                let o = order_values(field(a, &by.path), field(b, &by.path));
                if by.descending { o.reverse() } else { o }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_sorts_by_each_field_in_turn() {
        let mut records = vec![
            json!({"Total": 5, "Name": "b"}),
            json!({"Total": 9, "Name": "a"}),
            json!({"Total": 5, "Name": "a"}),
        ];
        sort(&mut records, &parse_order("Total DESC, Name").unwrap());
        let names: Vec<_> = records
            .iter()
            .map(|r| (r["Total"].clone(), r["Name"].clone()))
            .collect();
        assert_eq!(
            names,
            [
                (json!(9), json!("a")),
                (json!(5), json!("a")),
                (json!(5), json!("b"))
            ]
        );
        assert!(parse_order("Total SIDEWAYS").is_err());
        assert!(parse_order("Name.ToLower()").is_err());
    }
}
