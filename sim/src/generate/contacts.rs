//! A new organisation's contacts, and the contacts `/sim/mutate` adds: unique names (mostly
//! companies), addresses, phones, people and balances that look real.

use std::collections::HashSet;

use rand::Rng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use crate::book::Book;
use crate::contact::{
    Address, Balance, Balances, BatchPaymentDetails, Contact, ContactDetail, ContactHead,
    ContactPerson, PaymentTerms, Phone, Term,
};
use crate::dates::MsDateTime;
use crate::model::{AccountInfo, Empty, Money};
use crate::names::{ADJECTIVES, CITIES, FIRST_NAMES, LAST_NAMES, NOUNS, STREETS, SUFFIXES};
use crate::postings::new_id;
use crate::timeline::timeline;

/// A company name: adjective, noun and suffix.
pub fn company_name(rng: &mut SmallRng) -> String {
    format!(
        "{} {} {}",
        ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
        NOUNS[rng.random_range(0..NOUNS.len())],
        SUFFIXES[rng.random_range(0..SUFFIXES.len())]
    )
}

/// A random word of `list`.
fn pick<'a>(rng: &mut SmallRng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A new organisation's `n` contacts over the history, numbered from 1.
pub fn contacts(rng: &mut SmallRng, book: &Book, n: usize, start: i64, end: i64) -> Vec<Contact> {
    let stamps = timeline(rng, n, start, end, 0);
    let mut names = HashSet::with_capacity(n);
    stamps
        .into_iter()
        .enumerate()
        .map(|(i, stamp)| contact(rng, book, i as u64 + 1, stamp, &mut names))
        .collect()
}

/// A new contact with a unique name (Xero requires unique contact names).
pub fn contact(
    rng: &mut SmallRng,
    book: &Book,
    number: u64,
    updated_ms: i64,
    names: &mut HashSet<String>,
) -> Contact {
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let name = unique_name(rng, (first, last), number, names);
    let (city, region) = CITIES[rng.random_range(0..CITIES.len())];
    let domain: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let contact_id = new_id(rng);
    let persons = contact_persons(contact_id, &domain);
    // The fields draw from the stream in the order they are written: keep it.
    let mut contact = Contact {
        head: ContactHead {
            contact_id,
            contact_number: String::new(),
            account_number: None,
            contact_status: if rng.random_ratio(3, 100) {
                "ARCHIVED"
            } else {
                "ACTIVE"
            },
            name,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            company_number: None,
            email_address: format!(
                "{}.{}@{domain}.co.nz",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            bank_account_details: String::new(),
            tax_number: tax_number(rng),
            accounts_receivable_tax_type: None,
            accounts_payable_tax_type: None,
            is_supplier: rng.random_bool(0.4),
            is_customer: rng.random_bool(0.7),
            default_currency: "NZD",
            updated: MsDateTime(updated_ms),
            has_attachments: false,
            has_validation_errors: false,
            merged_to_contact_id: None,
        },
        detail: detail(rng, (city, region), persons),
    };
    settings(&mut contact, book, number, &domain);
    contact
}

/// A contact's heavy fields: addresses and phones in its city, its people, its balances; the
/// settings its own data implies are filled in after (see [`settings`]).
fn detail(
    rng: &mut SmallRng,
    (city, region): (&'static str, &'static str),
    persons: Vec<ContactPerson>,
) -> ContactDetail {
    ContactDetail {
        addresses: addresses(rng, city, region),
        phones: phones(rng),
        contact_groups: Empty,
        contact_persons: persons,
        sales_default_account_code: None,
        purchases_default_account_code: None,
        sales_tracking_categories: Empty,
        purchases_tracking_categories: Empty,
        sales_default_line_amount_type: "EXCLUSIVE",
        purchases_default_line_amount_type: "EXCLUSIVE",
        payment_terms: None,
        website: None,
        batch_payments: None,
        balances: balances(rng),
    }
}

/// The settings a contact's own data implies, derived from its id rather than drawn from the
/// stream (so every value drawn stays what it was): a customer's default tax type, sales
/// account and terms, a supplier's bank details and tax type; a company's registration number
/// and website; an account number on half the contacts.
fn settings(c: &mut Contact, book: &Book, number: u64, domain: &str) {
    let bytes = *c.head.contact_id.as_bytes();
    let head = &mut c.head;
    let company = head.name != format!("{} {}", head.first_name, head.last_name)
        && !head
            .name
            .starts_with(&format!("{} {} (", head.first_name, head.last_name));
    head.account_number = bytes[4].is_multiple_of(2).then(|| format!("AC{number:05}"));
    head.company_number = company.then(|| {
        let n = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
        format!("{}", 1_000_000 + n % 9_000_000)
    });
    if head.is_supplier && !bytes[9].is_multiple_of(3) {
        head.bank_account_details = format!(
            "{:02}-{:04}-{:07}-{:02}",
            bytes[9] % 30 + 1,
            u16::from_be_bytes([bytes[10], bytes[11]]) % 10_000,
            u32::from_be_bytes([0, bytes[12], bytes[13], bytes[14]]) % 10_000_000,
            bytes[10] % 100,
        );
    }
    head.accounts_receivable_tax_type = head.is_customer.then_some("OUTPUT2");
    head.accounts_payable_tax_type = head.is_supplier.then_some("INPUT2");
    let (customer, supplier) = (head.is_customer, head.is_supplier);
    let detail = &mut c.detail;
    let code = |pool: &[AccountInfo]| {
        (!pool.is_empty()).then(|| pool[usize::from(bytes[11]) % pool.len()].code.clone())
    };
    if bytes[11].is_multiple_of(2) {
        detail.sales_default_account_code = customer.then(|| code(&book.revenue)).flatten();
        detail.purchases_default_account_code = supplier.then(|| code(&book.expense)).flatten();
    }
    // Xero's default terms are what every invoice follows (due 20 days after its date); a
    // contact with terms of its own names the same.
    let term = || Term {
        day: 20,
        kind: "DAYSAFTERBILLDATE",
    };
    detail.payment_terms =
        (bytes[12].is_multiple_of(3) && (customer || supplier)).then(|| PaymentTerms {
            bills: supplier.then(term),
            sales: customer.then(term),
        });
    detail.website =
        (company && bytes[13].is_multiple_of(2)).then(|| format!("https://www.{domain}.co.nz"));
    detail.batch_payments = (!head.bank_account_details.is_empty()).then(|| BatchPaymentDetails {
        bank_account_number: head.bank_account_details.clone(),
        bank_account_name: head.name.clone(),
        details: format!("Acct {number}"),
    });
}

/// A company name (three contacts in four) or the person's, numbered when already taken.
fn unique_name(
    rng: &mut SmallRng,
    (first, last): (&str, &str),
    number: u64,
    names: &mut HashSet<String>,
) -> String {
    let mut name = if rng.random_ratio(3, 4) {
        company_name(rng)
    } else {
        format!("{first} {last}")
    };
    if !names.insert(name.clone()) {
        name = format!("{name} ({number})");
        names.insert(name.clone());
    }
    name
}

/// A GST number half the time, else none.
fn tax_number(rng: &mut SmallRng) -> String {
    if rng.random_bool(0.5) {
        format!(
            "{:03}-{:03}-{:03}",
            rng.random_range(10..999),
            rng.random_range(0..999),
            rng.random_range(0..999)
        )
    } else {
        String::new()
    }
}

/// A postal and a street address in the contact's city.
fn addresses(rng: &mut SmallRng, city: &'static str, region: &'static str) -> Vec<Address> {
    vec![
        Address {
            address_type: "POBOX",
            address_line1: format!("PO Box {}", rng.random_range(1..9999)),
            city,
            region,
            postal_code: format!("{:04}", rng.random_range(1000..9999)),
            country: "New Zealand",
        },
        Address {
            address_type: "STREET",
            address_line1: format!("{} {}", rng.random_range(1..400), pick(rng, STREETS)),
            city,
            region,
            postal_code: format!("{:04}", rng.random_range(1000..9999)),
            country: "New Zealand",
        },
    ]
}

/// Outstanding and overdue amounts on both sides.
fn balances(rng: &mut SmallRng) -> Balances {
    let money = |rng: &mut SmallRng| Money(rng.random_range(0..500_000));
    Balances {
        accounts_receivable: Balance {
            outstanding: money(rng),
            overdue: money(rng),
        },
        accounts_payable: Balance {
            outstanding: money(rng),
            overdue: money(rng),
        },
    }
}

/// Up to three people at a contact, derived from its id rather than drawn from the stream, so
/// every other generated value stays what it was before contacts had people.
fn contact_persons(id: Uuid, domain: &str) -> Vec<ContactPerson> {
    let bytes = id.as_bytes();
    (0..usize::from(bytes[15] % 4).min(3))
        .map(|n| {
            let first = FIRST_NAMES[usize::from(bytes[n * 2]) % FIRST_NAMES.len()];
            let last = LAST_NAMES[usize::from(bytes[n * 2 + 1]) % LAST_NAMES.len()];
            ContactPerson {
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                email_address: format!("{}@{domain}.co.nz", first.to_lowercase()),
                include_in_emails: n == 0,
            }
        })
        .collect()
}

/// Xero always lists the four phone slots, filling only the ones in use.
fn phones(rng: &mut SmallRng) -> Vec<Phone> {
    ["DEFAULT", "DDI", "FAX", "MOBILE"]
        .into_iter()
        .map(|kind| {
            let used = kind == "DEFAULT" || (kind == "MOBILE" && rng.random_bool(0.5));
            Phone {
                phone_type: kind,
                phone_number: if used {
                    format!(
                        "{:03}-{:04}",
                        rng.random_range(200..999),
                        rng.random_range(0..9999)
                    )
                } else {
                    String::new()
                },
                phone_area_code: if used { "09".to_owned() } else { String::new() },
                phone_country_code: if used { "64".to_owned() } else { String::new() },
            }
        })
        .collect()
}
