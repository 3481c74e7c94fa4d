//! `/sim/mutate` of journals: a manual journal or a cash transaction appended to the log,
//! tied to no other record.

use rand::Rng;

use crate::dates::MsDate;
use crate::postings::{self, Source};
use crate::state::TenantData;

/// Appends a manual journal or cash transaction (a third each), dated the day of the change.
pub fn post_other(data: &mut TenantData, stamp: i64) {
    let kind = match data.rng.random_range(0..3) {
        0 => "MANJOURNAL",
        1 => "CASHREC",
        _ => "CASHPAID",
    };
    let TenantData {
        journals,
        book,
        rng,
        ..
    } = data;
    let lines = postings::other_lines(rng, book, kind);
    let number = journals.next_number();
    let source = Source {
        id: postings::new_id(rng),
        kind,
        reference: format!("Simulated {} {number}", kind.to_lowercase()),
        date: MsDate::of_instant(stamp),
    };
    journals.post(postings::journal(rng, number, stamp, source, lines));
}
