//! `GET /BrandingThemes`: a full-refresh set without `UpdatedDateUTC`; an organisation has the
//! one standard theme, which a change renames.

use rand::rngs::SmallRng;
use serde_json::json;

use crate::dates::MsDateTime;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;

/// A new organisation's standard theme, created with it.
pub fn generate(rng: &mut SmallRng, start: i64) -> Vec<Record> {
    let theme = new_id(rng);
    vec![Record::named(
        theme.to_string(),
        json!({"BrandingThemeID": theme, "Name": "Standard", "Type": "INVOICE", "SortOrder": 0,
               "CreatedDateUTC": MsDateTime(start)}),
    )]
}

/// The standard theme renamed.
pub fn change(themes: &mut [Record], stamp: i64, out: &mut Outcome) {
    themes[0].body["Name"] = json!(format!("Standard {stamp}"));
    out.updated += 1;
}
