//! `GET /Users`: served with `If-Modified-Since` and `UpdatedDateUTC`; users are only ever
//! edited.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::timeline::moment;

/// Users a new organisation has (the first is the subscriber).
const USERS: usize = 4;

/// User number `n`, its role cycling through Xero's.
fn user(rng: &mut SmallRng, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let role = ["STANDARD", "READONLY", "FINANCIALADVISER", "INVOICEONLY"][n % 4];
    Record::stamped(
        id.to_string(),
        ms,
        json!({
            "UserID": id, "EmailAddress": format!("user{n}@example.com"),
            "FirstName": format!("User{n}"), "LastName": "Sim", "IsSubscriber": n == 0,
            "OrganisationRole": role,
        }),
    )
}

/// A new organisation's users.
pub fn generate(rng: &mut SmallRng, start: i64, end: i64) -> Vec<Record> {
    (0..USERS)
        .map(|n| {
            let ms = moment(rng, start, end);
            user(rng, n, ms)
        })
        .collect()
}

/// A user renamed.
pub fn change(users: &mut [Record], rng: &mut SmallRng, stamp: i64, out: &mut Outcome) {
    let n = users.len();
    let r = &mut users[rng.random_range(0..n)];
    r.body["LastName"] = json!(format!("Sim {stamp}"));
    r.touch(stamp);
    out.updated += 1;
}
