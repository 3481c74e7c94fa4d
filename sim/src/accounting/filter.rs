//! Xero's `where` parameter, for the fields clients filter on: comparisons
//! (`==`, `!=`, `>`, `>=`, `<`, `<=`) of a field path (`Status`, `Contact.ContactID`) with a
//! string, number, `true`/`false`, `Guid("…")` or `DateTime(y, m, d[, h, m, s])`, joined by
//! `AND`/`OR` (or `&&`/`||`) with parentheses (`order` is in `order`). Anything else
//! (`Name.Contains("x")`, `ToLower()`, a bare field) is refused with a message naming it, so
//! the simulator never answers a filter it did not apply.
//!
//! Both are evaluated on the records as rendered (Xero's JSON), so every list endpoint gets them
//! the same way.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::Value;

use super::order::{date_ms, field};

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
}
