//! The deterministic data set: the same seed always gives the same tenants, ids, records and
//! digests (only mutations, which stamp the simulator clock, depend on when they happen).
//!
//! Timestamps are in the past: within 900 days before a fixed epoch derived from the seed, never
//! the wall clock. They are non-decreasing in creation order with millisecond parts, and include
//! bulk-import clusters, runs of records sharing one `UpdatedDateUTC` second, because a sync must
//! cope with a whole page sharing a second (an entity of 3,000 records or more always has one
//! cluster of more than 1,000 records).
//!
//! Layout: this file makes the tenants, entity by entity in a fixed order; `accounts` (the
//! chart and its book) and `contacts` are its own; the other entities generate in their
//! modules, the stamps in `timeline`.

pub mod accounts;
pub mod contacts;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use accounts::accounts;
use contacts::{company_name, contacts};

use crate::args::SimConfig;
use crate::dates::DAY_MS;
use crate::dates::MsDate;
use crate::documents::build::{self as documents, ContactPick};
use crate::documents::doc::{Documents, is_sale};
use crate::documents::kinds::KINDS;
use crate::history::DocPosting;
use crate::postings::Source;
use crate::state::{Tenant, TenantData};
use crate::store::{JournalLog, Table};
use crate::{
    batches, expense_claims, history, invoices, links, manual_journals, settings, tax_rates,
};

/// 2024-06-01T00:00:00Z: the earliest epoch; the seed moves it up to ~180 days later.
const BASE_EPOCH_MS: i64 = 1_717_200_000_000;
/// Custom tax rates an organisation starts with (besides the built-in GST rates).
const CUSTOM_TAX_RATES: usize = 3;
/// How far back the history of an organisation goes.
pub const HISTORY_DAYS: i64 = 900;

/// The end of the generated history: fixed per seed, always in the past.
pub fn epoch_ms(seed: u64) -> i64 {
    let days = (seed % 180) as i64;
    let ms = (seed.wrapping_mul(7_919) % DAY_MS as u64) as i64;
    BASE_EPOCH_MS + days * DAY_MS + ms
}

/// The start of the generated history.
pub fn history_start_ms(seed: u64) -> i64 {
    epoch_ms(seed) - HISTORY_DAYS * DAY_MS
}

/// The random stream of one tenant's purpose (`salt` separates generation from mutation).
pub fn tenant_rng(seed: u64, index: usize, salt: u64) -> SmallRng {
    let mix = (index as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ salt;
    SmallRng::seed_from_u64(seed ^ mix)
}

/// Tenant ids: uuid v5 of the seed and position.
pub fn tenant_id(seed: u64, index: usize) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("xero-sync-sim/{seed}/tenant/{index}").as_bytes(),
    )
}

/// Generates every tenant, in parallel across tenants.
pub fn tenants(config: &SimConfig) -> Vec<Tenant> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..config.tenants.max(1))
            .map(|i| scope.spawn(move || tenant(config, i)))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| h.join().unwrap_or_else(|_| tenant(config, i)))
            .collect()
    })
}

/// Generates one tenant's organisation.
pub fn tenant(config: &SimConfig, index: usize) -> Tenant {
    if let Some(journals) = config
        .first_tenant_journals
        .filter(|_| index < config.large_tenants)
    {
        let first = SimConfig {
            journals,
            first_tenant_journals: None,
            ..config.clone()
        };
        return tenant(&first, index);
    }
    let mut rng = tenant_rng(config.seed, index, 0);
    let start = history_start_ms(config.seed);
    let end = epoch_ms(config.seed);
    let name = company_name(&mut rng);
    let data = data(config, index, rng, &name, (start, end));
    let connected = start + index as i64 * 3_600_000;
    Tenant::new(tenant_id(config.seed, index), name, connected, data)
}

/// One organisation's records. The chart, contacts, invoices and journals go on drawing from
/// the tenant's first stream (`rng`, after the organisation's name); entities added later
/// draw from streams of their own, so that the older ones keep their data. Each entity's salt
/// and place in this order are therefore fixed.
fn data(
    config: &SimConfig,
    index: usize,
    mut rng: SmallRng,
    name: &str,
    (start, end): (i64, i64),
) -> TenantData {
    let stream = |salt: u64| tenant_rng(config.seed, index, salt);
    let (accounts, mut book) = accounts(&mut rng, config.accounts, start);
    let contacts = contacts(&mut rng, &book, config.contacts.max(1), start, end);
    // The settings and documents draw from streams of their own, so they can come first: the
    // history journals the documents generated authorised.
    let mut settings = settings::generate(&mut stream(0x5E77_1465), &book, name, start, end);
    book.branding_theme = settings
        .branding_themes
        .first()
        .and_then(|theme| Uuid::parse_str(&theme.key).ok());
    let picks: Vec<ContactPick> = contacts
        .iter()
        .map(|c| (c.head.contact_id, c.head.name.clone()))
        .collect();
    let mut documents = documents::generate(&mut stream(0xD0C5), &book, &picks, start, end);
    let (docs, places) = doc_postings(&documents);
    let (mut invoices, journals, posted) =
        history::generate(&mut rng, &book, &contacts, config, (start, end), &docs);
    for ((i, j), journal) in places.into_iter().zip(posted) {
        documents.sets[i].update(j, |d| d.posting = Some(journal));
    }
    let manual_journals = manual_journals::generate(
        &mut stream(0x4D4A_4F55_524E_414C),
        &book,
        config.manual_journals,
        start,
        end,
    );
    invoices::brand(&mut invoices, &book);
    let batched = &mut stream(0x0BA7_C4E5);
    batches::link(&mut settings.batch_payments, &mut invoices, batched);
    let invoices = Table::new(invoices);
    let links = links::generate(&mut stream(0x11_4E_C5), &invoices, start, end);
    let expense_claims = expense_claims::generate(&mut stream(0xC1_A1_35), &documents, start, end);
    TenantData {
        accounts: Table::new(accounts),
        next_contact_number: contacts.len() as u64 + 1,
        contacts: Table::new(contacts),
        next_invoice_number: invoices.len() as u64 + 1,
        invoices,
        journals: JournalLog::new(journals),
        manual_journals: Table::new(manual_journals),
        tax_rates: tax_rates::generate(CUSTOM_TAX_RATES),
        next_tax_rate: CUSTOM_TAX_RATES,
        settings,
        documents,
        refunds: Vec::new(),
        links,
        expense_claims,
        book,
        rng: stream(0x5EED_0FC4_A96E_5000),
    }
}

/// The postings of the documents generated authorised (of the kinds that post), for the
/// history to journal, and where each document is (`(kind, position)`).
fn doc_postings(documents: &Documents) -> (Vec<DocPosting>, Vec<(usize, usize)>) {
    let mut postings = Vec::new();
    let mut places = Vec::new();
    for (i, k) in KINDS.iter().enumerate() {
        let Some((sale, purchase)) = k.posts else {
            continue;
        };
        for (j, doc) in documents.sets[i].rows().iter().enumerate() {
            if doc.body["Status"] != "AUTHORISED" {
                continue;
            }
            postings.push(DocPosting {
                at: doc.updated_ms,
                source: Source {
                    id: doc.id,
                    kind: if is_sale(&doc.body) { sale } else { purchase },
                    reference: doc.body["Reference"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    date: MsDate::of_instant(doc.updated_ms),
                },
                items: doc.body["LineItems"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            });
            places.push((i, j));
        }
    }
    (postings, places)
}
