//! Xero's `where` and `order` parameters, for the fields clients filter on: comparisons
//! (`==`, `!=`, `>`, `>=`, `<`, `<=`) of a field path (`Status`, `Contact.ContactID`) with a
//! string, number, `true`/`false`, `Guid("…")` or `DateTime(y, m, d[, h, m, s])`, joined by
//! `AND`/`OR` (or `&&`/`||`) with parentheses; and `order=Field [ASC|DESC], …`. Anything else
//! (`Name.Contains("x")`, `ToLower()`, a bare field) is refused with a message naming it, so
//! the simulator never answers a filter it did not apply.
//!
//! Both are evaluated on the records as rendered (Xero's JSON), so every list endpoint gets them
//! the same way.

use std::cmp::Ordering;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

/// A parsed `where`: conditions joined by `AND`/`OR`.
#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    /// Both hold.
    And(Box<Where>, Box<Where>),
    /// Either holds.
    Or(Box<Where>, Box<Where>),
    /// A field compared with a value.
    Compare {
        /// The field's path (`["Contact", "ContactID"]`).
        path: Vec<String>,
        /// How.
        op: Op,
        /// With what.
        value: Literal,
    },
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// A value in a `where`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `"AUTHORISED"`
    Text(String),
    /// `12.5`
    Number(f64),
    /// `true`, `false`
    Bool(bool),
    /// `Guid("…")`, compared without regard to case.
    Guid(String),
    /// `DateTime(2024, 1, 31)`, in epoch ms.
    DateTime(i64),
}

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

/// Parses a `where`.
pub fn parse_where(raw: &str) -> Result<Where, String> {
    let tokens = tokenize(raw)?;
    let mut parser = Parser { tokens, at: 0, raw };
    let parsed = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(parsed),
        Some(token) => Err(parser.unsupported(&format!("{token:?}"))),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Path(String),
    Text(String),
    Number(f64),
    Op(Op),
    And,
    Or,
    Open,
    Close,
    Comma,
}

fn tokenize(raw: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = raw.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let (token, len) = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ',' => (Token::Comma, 1),
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or_else(|| format!("where `{raw}`: a string is not closed"))?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                (Token::Text(text), end + 2)
            }
            _ => match two.as_str() {
                "==" => (Token::Op(Op::Eq), 2),
                "!=" => (Token::Op(Op::Ne), 2),
                ">=" => (Token::Op(Op::Ge), 2),
                "<=" => (Token::Op(Op::Le), 2),
                "&&" => (Token::And, 2),
                "||" => (Token::Or, 2),
                _ if c == '>' => (Token::Op(Op::Gt), 1),
                _ if c == '<' => (Token::Op(Op::Lt), 1),
                _ => word(&chars[i..], raw)?,
            },
        };
        tokens.push(token);
        i += len;
    }
    Ok(tokens)
}

/// A word: a number, `AND`/`OR`, or a field path.
fn word(chars: &[char], raw: &str) -> Result<(Token, usize), String> {
    let len = chars
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(chars.len());
    if len == 0 {
        return Err(format!(
            "where `{raw}`: `{}` is not supported by the simulator",
            chars[0]
        ));
    }
    let text: String = chars[..len].iter().collect();
    let token = match text.to_ascii_uppercase().as_str() {
        "AND" => Token::And,
        "OR" => Token::Or,
        _ => match text.parse::<f64>() {
            Ok(n) => Token::Number(n),
            Err(_) => Token::Path(text),
        },
    };
    Ok((token, len))
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    raw: &'a str,
}

impl Parser<'_> {
    fn unsupported(&self, what: &str) -> String {
        format!(
            "where `{}`: {what} is not supported by the simulator (it filters on \
             Field==value, !=, >, >=, <, <= with strings, numbers, true/false, Guid(\"…\") and \
             DateTime(y,m,d), joined by AND/OR)",
            self.raw
        )
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Where, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Where::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Where, String> {
        let mut left = self.term()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Where::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Where, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(self.unsupported("an unclosed parenthesis")),
                }
            }
            Some(Token::Path(path)) => {
                if self.peek() == Some(&Token::Open) {
                    return Err(self.unsupported(&format!("the call `{path}(…)`")));
                }
                let op = match self.next() {
                    Some(Token::Op(op)) => op,
                    _ => return Err(self.unsupported(&format!("`{path}` without a comparison"))),
                };
                let value = self.literal()?;
                Ok(Where::Compare {
                    path: path.split('.').map(str::to_owned).collect(),
                    op,
                    value,
                })
            }
            other => Err(self.unsupported(&format!("{other:?}"))),
        }
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::Text(text)),
            Some(Token::Number(n)) => Ok(Literal::Number(n)),
            Some(Token::Path(word)) if word.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Path(word)) if word.eq_ignore_ascii_case("false") => {
                Ok(Literal::Bool(false))
            }
            Some(Token::Path(word)) if word.eq_ignore_ascii_case("guid") => {
                let args = self.arguments()?;
                match args.as_slice() {
                    [Token::Text(id)] => Ok(Literal::Guid(id.to_ascii_lowercase())),
                    _ => Err(self.unsupported("Guid(…) without one quoted id")),
                }
            }
            Some(Token::Path(word)) if word.eq_ignore_ascii_case("datetime") => {
                let args = self.arguments()?;
                date_time(&args).ok_or_else(|| self.unsupported("this DateTime(…)"))
            }
            other => Err(self.unsupported(&format!("the value {other:?}"))),
        }
    }

    /// `( a, b, … )` after a function name.
    fn arguments(&mut self) -> Result<Vec<Token>, String> {
        if self.next() != Some(Token::Open) {
            return Err(self.unsupported("a function without its arguments"));
        }
        let mut args = Vec::new();
        loop {
            match self.next() {
                Some(Token::Close) => return Ok(args),
                Some(Token::Comma) => {}
                Some(token @ (Token::Text(_) | Token::Number(_))) => args.push(token),
                other => return Err(self.unsupported(&format!("the argument {other:?}"))),
            }
        }
    }
}

/// `DateTime(y, m, d[, h, m, s])` in epoch ms (UTC).
fn date_time(args: &[Token]) -> Option<Literal> {
    let numbers: Vec<u32> = args
        .iter()
        .map(|a| match a {
            Token::Number(n) if *n >= 0.0 && n.fract() == 0.0 => Some(*n as u32),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (date, time) = match numbers.as_slice() {
        [y, m, d] => (NaiveDate::from_ymd_opt(*y as i32, *m, *d)?, (0, 0, 0)),
        [y, m, d, h, mi, s] => (NaiveDate::from_ymd_opt(*y as i32, *m, *d)?, (*h, *mi, *s)),
        _ => return None,
    };
    let at = date.and_hms_opt(time.0, time.1, time.2)?;
    Some(Literal::DateTime(at.and_utc().timestamp_millis()))
}

/// The value at `path` in a record.
fn field<'a>(record: &'a Value, path: &[String]) -> &'a Value {
    path.iter().fold(record, |v, key| &v[key.as_str()])
}

/// A date as Xero writes one (`/Date(1577836800000+0000)/` or `2020-01-01T00:00:00`), in ms.
fn date_ms(value: &Value) -> Option<i64> {
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

/// How the record's value compares with the literal; `None` when they do not compare.
fn compare(value: &Value, literal: &Literal) -> Option<Ordering> {
    match literal {
        Literal::Text(text) => value.as_str().map(|v| v.cmp(text.as_str())),
        Literal::Guid(id) => value.as_str().map(|v| v.to_ascii_lowercase().cmp(id)),
        Literal::Number(n) => value.as_f64().and_then(|v| v.partial_cmp(n)),
        Literal::Bool(b) => value.as_bool().map(|v| v.cmp(b)),
        Literal::DateTime(ms) => date_ms(value).map(|v| v.cmp(ms)),
    }
}

impl Where {
    /// Whether `record` satisfies it.
    pub fn matches(&self, record: &Value) -> bool {
        match self {
            Where::And(a, b) => a.matches(record) && b.matches(record),
            Where::Or(a, b) => a.matches(record) || b.matches(record),
            Where::Compare { path, op, value } => {
                let ordering = compare(field(record, path), value);
                match (op, ordering) {
                    (Op::Ne, None) => true,
                    (_, None) => false,
                    (Op::Eq, Some(o)) => o == Ordering::Equal,
                    (Op::Ne, Some(o)) => o != Ordering::Equal,
                    (Op::Gt, Some(o)) => o == Ordering::Greater,
                    (Op::Ge, Some(o)) => o != Ordering::Less,
                    (Op::Lt, Some(o)) => o == Ordering::Less,
                    (Op::Le, Some(o)) => o != Ordering::Greater,
                }
            }
        }
    }
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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_grammar_clients_use_parses_and_the_rest_is_refused() {
        let w = parse_where(r#"Status=="AUTHORISED" AND (Type=="ACCREC" OR Type=="ACCPAY")"#);
        assert!(w.is_ok(), "{w:?}");
        let w = parse_where(r#"Contact.ContactID==Guid("0D6A1C9B-0000-0000-0000-000000000001")"#)
            .unwrap();
        assert!(
            w.matches(&json!({"Contact": {"ContactID": "0d6a1c9b-0000-0000-0000-000000000001"}}))
        );
        let w = parse_where("Date>=DateTime(2020, 01, 01) && AmountDue > 0").unwrap();
        assert!(w.matches(&json!({"Date": "/Date(1577836800000+0000)/", "AmountDue": 1.5})));
        assert!(!w.matches(&json!({"Date": "/Date(1577836799000+0000)/", "AmountDue": 1.5})));
        assert!(
            parse_where("IsCustomer==true")
                .unwrap()
                .matches(&json!({"IsCustomer": true}))
        );
        for bad in [
            r#"Name.Contains("Bob")"#,
            "Status",
            r#"Name.ToLower()=="x""#,
            r#"Status=="A" XOR Type=="B""#,
            r#"Status=~"A""#,
            r#"Status=="A"#,
        ] {
            let error = parse_where(bad).expect_err(bad);
            assert!(
                error.contains("not supported") || error.contains("not closed"),
                "{error}"
            );
        }
    }

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
