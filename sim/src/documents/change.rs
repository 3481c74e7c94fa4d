//! `/sim/mutate` of documents: an edit (fresh line items), a void or deletion as the status
//! allows, a new document, or an allocation or refund of credit (see `allocations` and
//! `refunds`). Each posts to the journal log what Xero would: an authorised document's
//! journal when created, its reversal and the new posting when edited, its reversal when
//! voided or deleted.

use rand::Rng;
use serde_json::json;

use super::build::{build, lines_of, set_lines};
use super::doc::{is_sale, touch};
use super::kinds::{KINDS, kind};
use crate::allocations::allocate;
use crate::dates::MsDate;
use crate::model::Money;
use crate::outcome::Outcome;
use crate::postings;
use crate::refunds::refund;
use crate::state::TenantData;

/// One change to the documents of `entity`; `false` when `entity` is no document kind.
pub fn change(data: &mut TenantData, entity: &str, stamp: i64, out: &mut Outcome) -> bool {
    let Some(i) = kind(entity) else {
        return false;
    };
    let k = &KINDS[i];
    let roll = data.rng.random_range(0..100);
    if k.allocates && roll < 20 && allocate(data, i, stamp, out) {
        return true;
    }
    if k.allocates && (20..28).contains(&roll) && refund(data, i, stamp, out) {
        return true;
    }
    let set = &data.documents.sets[i];
    let n = set.len();
    let rng = &mut data.rng;
    let mut pick = |wanted: &[&str]| {
        (0..40).map(|_| rng.random_range(0..n.max(1))).find(|&j| {
            j < n && {
                let body = &set.row(j).body;
                // Documents with credit allocated or refunded keep their lines.
                wanted.iter().any(|s| body["Status"] == *s)
                    && body["Allocations"].as_array().is_none_or(Vec::is_empty)
                    && body["Payments"].as_array().is_none_or(Vec::is_empty)
            }
        })
    };
    let ended: Vec<&str> = k.ends.iter().map(|(from, _)| *from).collect();
    let target = match roll {
        0..45 => pick(k.editable).map(|j| (j, true)),
        45..70 => pick(&ended).map(|j| (j, false)),
        _ => None,
    };
    match target {
        Some((j, true)) => edit(data, i, j, stamp, out),
        Some((j, false)) => end(data, i, j, stamp, out),
        None => create(data, i, stamp, out),
    }
    true
}

/// New lines for document `j` of kind `i`; an authorised one's posting is reversed and posted
/// anew.
fn edit(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let sale = is_sale(&data.documents.sets[i].row(j).body);
    let (items, sub, tax) = lines_of(&mut data.rng, &data.book, &KINDS[i], sale);
    data.documents.sets[i].update(j, |d| {
        set_lines(&mut d.body, items, sub, tax);
        touch(d, stamp);
    });
    reverse(data, i, j, stamp, out);
    post(data, i, j, stamp, out);
    out.updated += 1;
}

/// Voids or deletes document `j` of kind `i` as its status allows, reversing its posting.
fn end(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let k = &KINDS[i];
    let mut to = "DELETED";
    data.documents.sets[i].update(j, |d| {
        let from = d.body["Status"].as_str().unwrap_or_default().to_owned();
        to = k
            .ends
            .iter()
            .find(|(f, _)| *f == from)
            .map_or("DELETED", |(_, t)| t);
        d.body["Status"] = json!(to);
        if d.body.get("RemainingCredit").is_some() {
            d.body["RemainingCredit"] = json!(Money(0));
        }
        touch(d, stamp);
    });
    reverse(data, i, j, stamp, out);
    if to == "VOIDED" {
        out.voided += 1;
    } else {
        out.deleted += 1;
    }
}

/// A new document of kind `i` for a contact of the organisation, posted when authorised.
fn create(data: &mut TenantData, i: usize, stamp: i64, out: &mut Outcome) {
    let k = &KINDS[i];
    let n = data.contacts.len();
    let head = &data.contacts.row(data.rng.random_range(0..n)).head;
    let contact = (head.contact_id, head.name.clone());
    data.documents.numbers[i] += 1;
    let number = data.documents.numbers[i];
    let doc = build(
        &data.book,
        &mut data.rng,
        k,
        (number, stamp, k.editable[0]),
        &contact,
    );
    let j = data.documents.sets[i].insert(doc);
    post(data, i, j, stamp, out);
    out.created += 1;
}

/// Posts document `j` of kind `i` if it is authorised and its kind posts journals.
fn post(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let Some((sale_kind, purchase_kind)) = KINDS[i].posts else {
        return;
    };
    let TenantData {
        documents,
        journals,
        book,
        rng,
        ..
    } = data;
    let doc = documents.sets[i].row(j);
    if doc.body["Status"] != "AUTHORISED" {
        return;
    }
    let source_type = if is_sale(&doc.body) {
        sale_kind
    } else {
        purchase_kind
    };
    let items = doc.body["LineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lines = postings::document_lines(rng, book, source_type, &items);
    let source = postings::Source {
        id: doc.id,
        kind: source_type,
        reference: doc.body["Reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        date: MsDate::of_instant(stamp),
    };
    let number = journals.next_number();
    let posted = journals.post(postings::journal(rng, number, stamp, source, lines));
    documents.sets[i].update(j, |d| d.posting = Some(posted));
    out.journals_posted += 1;
}

/// Reverses the journal that posts document `j` of kind `i`, if there is one.
fn reverse(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let TenantData {
        documents,
        journals,
        rng,
        ..
    } = data;
    let Some(original) = documents.sets[i]
        .row(j)
        .posting
        .and_then(|p| journals.get(p))
        .cloned()
    else {
        return;
    };
    let lines = postings::reversal_lines(rng, &original.journal_lines);
    let source = postings::Source {
        id: original.source_id,
        kind: original.source_type,
        reference: original.reference.clone(),
        date: MsDate::of_instant(stamp),
    };
    let number = journals.next_number();
    journals.post(postings::journal(rng, number, stamp, source, lines));
    documents.sets[i].update(j, |d| d.posting = None);
    out.journals_posted += 1;
}
