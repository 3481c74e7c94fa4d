//! `GET /Currencies`: a full-refresh set without `UpdatedDateUTC`, keyed by code. A removed
//! currency is simply gone.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::outcome::Outcome;
use crate::record::Record;

/// The currencies a change adds or removes; the organisation's own always stay.
const EXTRA: [&str; 5] = ["GBP", "EUR", "JPY", "CAD", "SGD"];

fn currency(code: &str, description: &str) -> Record {
    Record::named(
        code.to_lowercase(),
        json!({"Code": code, "Description": description}),
    )
}

/// A new organisation's currencies.
pub fn generate() -> Vec<Record> {
    vec![
        currency("NZD", "New Zealand Dollar"),
        currency("AUD", "Australian Dollar"),
        currency("USD", "United States Dollar"),
    ]
}

/// A currency added (if not there yet) or one of the extra ones removed.
pub fn change(currencies: &mut Vec<Record>, rng: &mut SmallRng, roll: u32, out: &mut Outcome) {
    let present: Vec<usize> = (0..currencies.len())
        .filter(|&i| EXTRA.iter().any(|c| currencies[i].body["Code"] == *c))
        .collect();
    if present.is_empty() || roll < 60 {
        let code = EXTRA[rng.random_range(0..EXTRA.len())];
        if !currencies.iter().any(|c| c.body["Code"] == code) {
            currencies.push(currency(code, &format!("{code} currency")));
            out.created += 1;
        }
    } else {
        currencies.remove(present[rng.random_range(0..present.len())]);
        out.deleted += 1;
    }
}
