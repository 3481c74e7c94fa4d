//! `GET /ContactGroups`: a full-refresh set without `UpdatedDateUTC`. A removed group is simply
//! gone.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;

fn contact_group(rng: &mut SmallRng, name: &str) -> Record {
    let id = new_id(rng);
    Record::named(
        id.to_string(),
        json!({"ContactGroupID": id, "Name": name, "Status": "ACTIVE", "Contacts": []}),
    )
}

/// A new organisation's groups.
pub fn generate(rng: &mut SmallRng) -> Vec<Record> {
    ["Preferred suppliers", "Wholesale customers", "Staff"]
        .iter()
        .map(|n| contact_group(rng, n))
        .collect()
}

/// A group renamed, removed or created.
pub fn change(
    groups: &mut Vec<Record>,
    rng: &mut SmallRng,
    roll: u32,
    stamp: i64,
    out: &mut Outcome,
) {
    let n = groups.len();
    match roll {
        0..40 if n > 0 => {
            let r = &mut groups[rng.random_range(0..n)];
            r.body["Name"] = json!(format!("Group {stamp}"));
            out.updated += 1;
        }
        40..60 if n > 0 => {
            groups.remove(rng.random_range(0..n));
            out.deleted += 1;
        }
        _ => {
            let name = format!("Group {stamp}");
            groups.push(contact_group(rng, &name));
            out.created += 1;
        }
    }
}
