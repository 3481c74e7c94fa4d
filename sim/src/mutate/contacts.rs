//! `/sim/mutate` of contacts: a merge into another contact, an edit (phone, sometimes the
//! status), or a new contact.

use std::collections::HashSet;

use rand::Rng;

use crate::dates::MsDateTime;
use crate::generate::contacts::contact;
use crate::outcome::Outcome;
use crate::state::TenantData;

/// One change to the contacts: now and then a merge, mostly an edit, else a new contact.
pub fn change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let stamp = stamp();
    let n = data.contacts.len();
    if n > 1 && data.rng.random_ratio(1, 15) {
        merge(data, stamp, out);
    } else if n > 0 && data.rng.random_ratio(7, 10) {
        edit(data, stamp, out);
    } else {
        create(data, stamp, out);
    }
}

/// Merged into another contact, as Xero's "merge contacts" does: the merged one is archived
/// and names the survivor; the survivor changes too.
fn merge(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let n = data.contacts.len();
    let i = data.rng.random_range(0..n);
    let survivor = (i + 1 + data.rng.random_range(0..n - 1)) % n;
    let into = data.contacts.row(survivor).head.contact_id;
    data.contacts.update(i, |c| {
        c.head.updated = MsDateTime(stamp);
        c.head.contact_status = "ARCHIVED";
        c.head.merged_to_contact_id = Some(into);
    });
    data.contacts
        .update(survivor, |c| c.head.updated = MsDateTime(stamp));
    out.updated += 2;
    out.merged += 1;
}

/// A new phone number, and now and then the status flipped between active and archived.
fn edit(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let i = data.rng.random_range(0..data.contacts.len());
    let TenantData { contacts, rng, .. } = data;
    contacts.update(i, |c| {
        c.head.updated = MsDateTime(stamp);
        if let Some(phone) = c.detail.phones.first_mut() {
            phone.phone_number = format!(
                "{:03}-{:04}",
                rng.random_range(200..999),
                rng.random_range(0..9999)
            );
        }
        if rng.random_ratio(1, 20) {
            c.head.contact_status = if c.head.contact_status == "ACTIVE" {
                "ARCHIVED"
            } else {
                "ACTIVE"
            };
        }
    });
    out.updated += 1;
}

/// A new contact, its name unique among the organisation's.
fn create(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let mut names: HashSet<String> = data
        .contacts
        .rows()
        .iter()
        .map(|c| c.head.name.clone())
        .collect();
    let number = data.next_contact_number;
    data.next_contact_number += 1;
    let contact = contact(&mut data.rng, &data.book, number, stamp, &mut names);
    data.contacts.insert(contact);
    out.created += 1;
}
