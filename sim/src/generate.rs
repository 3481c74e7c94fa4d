//! The deterministic data set: the same seed always gives the same tenants, ids, records and
//! digests (only mutations, which stamp the simulator clock, depend on when they happen).
//!
//! Timestamps are in the past: within 900 days before a fixed epoch derived from the seed, never
//! the wall clock. They are non-decreasing in creation order with millisecond parts, and include
//! bulk-import clusters, runs of records sharing one `UpdatedDateUTC` second, because a sync must
//! cope with a whole page sharing a second (an entity of 3,000 records or more always has one
//! cluster of more than 1,000 records).

use std::collections::{HashMap, HashSet};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::args::SimConfig;
use crate::dates::{DAY_MS, MsDateTime};
use crate::model::{
    Account, AccountInfo, Address, Balance, Balances, Contact, ContactDetail, ContactHead,
    ContactPerson, Empty, Money, Phone, Shared,
};
use crate::names::{
    ADJECTIVES, BASE_CHART, CITIES, FIRST_NAMES, LAST_NAMES, MIN_ACCOUNTS, NOUNS, Role, STREETS,
    SUFFIXES, TRACKING,
};
use crate::postings::new_id;
use crate::state::{Book, Tenant, TenantData, TrackingDef};
use crate::store::{JournalLog, Table};
use crate::{documents, expense_claims, history, links, manual_journals, settings, tax_rates};

/// 2024-06-01T00:00:00Z: the earliest epoch; the seed moves it up to ~180 days later.
const BASE_EPOCH_MS: i64 = 1_717_200_000_000;
/// Custom tax rates an organisation starts with (besides the built-in GST rates).
const CUSTOM_TAX_RATES: usize = 3;
/// How far back the history of an organisation goes.
pub const HISTORY_DAYS: i64 = 900;
/// Size of the guaranteed bulk-import cluster for entities of at least this many records.
const BIG_CLUSTER_FROM: usize = 3_000;

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
    if let (0, Some(journals)) = (index, config.first_tenant_journals) {
        let first = SimConfig {
            journals,
            first_tenant_journals: None,
            ..config.clone()
        };
        return tenant(&first, 0);
    }
    let mut rng = tenant_rng(config.seed, index, 0);
    let start = history_start_ms(config.seed);
    let end = epoch_ms(config.seed);
    let name = company_name(&mut rng);
    let (accounts, book) = accounts(&mut rng, config.accounts, start);
    let contacts = contacts(&mut rng, config.contacts.max(1), start, end);
    let (invoices, journals) = history::generate(&mut rng, &book, &contacts, config, (start, end));
    // Entities added later draw from streams of their own: the older ones keep their data.
    let mut mj_rng = tenant_rng(config.seed, index, 0x4D4A_4F55_524E_414C);
    let manual_journals =
        manual_journals::generate(&mut mj_rng, &book, config.manual_journals, start, end);
    let mut settings_rng = tenant_rng(config.seed, index, 0x5E77_1465);
    let settings = settings::generate(&mut settings_rng, &book, &name, start, end);
    let mut documents_rng = tenant_rng(config.seed, index, 0xD0C5);
    let picks: Vec<documents::ContactPick> = contacts
        .iter()
        .map(|c| (c.head.contact_id, c.head.name.clone()))
        .collect();
    let documents = documents::generate(&mut documents_rng, &book, &picks, start, end);
    let invoices = Table::new(invoices);
    let mut links_rng = tenant_rng(config.seed, index, 0x11_4E_C5);
    let links = links::generate(&mut links_rng, &invoices, start, end);
    let mut claims_rng = tenant_rng(config.seed, index, 0xC1_A1_35);
    let expense_claims = expense_claims::generate(&mut claims_rng, &documents, start, end);
    let next_invoice_number = invoices.len() as u64 + 1;
    let next_contact_number = contacts.len() as u64 + 1;
    let data = TenantData {
        accounts: Table::new(accounts),
        contacts: Table::new(contacts),
        invoices,
        journals: JournalLog::new(journals),
        manual_journals: Table::new(manual_journals),
        tax_rates: tax_rates::generate(CUSTOM_TAX_RATES),
        next_tax_rate: CUSTOM_TAX_RATES,
        settings,
        documents,
        links,
        expense_claims,
        book,
        rng: tenant_rng(config.seed, index, 0x5EED_0FC4_A96E_5000),
        next_invoice_number,
        next_contact_number,
    };
    let connected = start + index as i64 * 3_600_000;
    Tenant::new(tenant_id(config.seed, index), name, connected, data)
}

/// `n` non-decreasing stamps in `[start, end)`, with bulk-import clusters (runs sharing one
/// second). Stamps spread evenly on average so the data covers the whole history. `bulk`
/// overrides the size of the largest cluster (0: about 1,050 + n / 40 from 3,000 records on).
pub fn timeline(rng: &mut SmallRng, n: usize, start: i64, end: i64, bulk: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    let big = if bulk > 0 {
        Some((n / 10, bulk.min(n)))
    } else {
        (n >= BIG_CLUSTER_FROM).then(|| (n / 10, (1_050 + n / 40).min(n / 2)))
    };
    let avg = ((end - start) as f64 * 0.9 / n.max(1) as f64).max(1.0);
    let mut t = start as f64;
    while out.len() < n {
        let i = out.len();
        let size = match big {
            Some((at, size)) if i == at => size,
            _ if rng.random_ratio(1, 250) => rng.random_range(5..=60),
            _ => 1,
        }
        .min(n - i);
        if size == 1 {
            t += rng.random::<f64>() * 2.0 * avg;
            out.push(t as i64);
            continue;
        }
        let second = (t as i64).div_euclid(1000) * 1000 + 1000;
        let mut parts: Vec<i64> = (0..size).map(|_| rng.random_range(0..1000)).collect();
        parts.sort_unstable();
        out.extend(parts.iter().map(|ms| second + ms));
        t = ((second + 1000) as f64).max(t + avg * size as f64);
    }
    out
}

fn company_name(rng: &mut SmallRng) -> String {
    format!(
        "{} {} {}",
        ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
        NOUNS[rng.random_range(0..NOUNS.len())],
        SUFFIXES[rng.random_range(0..SUFFIXES.len())]
    )
}

fn pick<'a>(rng: &mut SmallRng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// The chart of accounts: the base chart first (it holds the role accounts), then numbered
/// expense accounts, some archived. Set up in the first 60 days of the history.
fn accounts(rng: &mut SmallRng, n: usize, start: i64) -> (Vec<Account>, Book) {
    let n = n.max(MIN_ACCOUNTS);
    let stamps = timeline(rng, n, start, start + 60 * DAY_MS, 0);
    let mut out = Vec::with_capacity(n);
    for (i, stamp) in stamps.into_iter().enumerate() {
        let base = BASE_CHART.get(i).copied();
        let extra_name;
        let (code, name, kind, class, tax, rep, rep_name, system) = match base {
            Some(row) => row,
            None => {
                let k = i - BASE_CHART.len();
                extra_name = format!("{} Costs {}", NOUNS[k % NOUNS.len()], k / NOUNS.len() + 1);
                let code: &'static str = "";
                (
                    code,
                    extra_name.as_str(),
                    "OVERHEADS",
                    "EXPENSE",
                    "INPUT2",
                    "EXP",
                    "Expenses",
                    None,
                )
            }
        };
        let code = if code.is_empty() {
            format!("{}", 5000 + i)
        } else {
            code.to_owned()
        };
        let bank = kind == "BANK";
        let archived = base.is_none() && rng.random_ratio(1, 10);
        out.push(Account {
            account_id: new_id(rng),
            code: Shared::new(&code),
            name: name.to_owned(),
            status: if archived { "ARCHIVED" } else { "ACTIVE" },
            kind,
            tax_type: tax,
            description: format!("{name} ({class})"),
            class,
            system_account: system,
            enable_payments_to_account: false,
            show_in_expense_claims: class == "EXPENSE",
            bank_account_number: bank.then(|| "12-3456-7890123-00".to_owned()),
            bank_account_type: bank.then_some("BANK"),
            currency_code: bank.then_some("NZD"),
            reporting_code: rep,
            reporting_code_name: rep_name,
            has_attachments: false,
            updated: MsDateTime(stamp),
            add_to_watchlist: false,
        });
    }
    let book = book(rng, &out);
    (out, book)
}

fn info(a: &Account) -> AccountInfo {
    AccountInfo {
        id: a.account_id,
        code: a.code.clone(),
        name: Shared::new(&a.name),
        kind: a.kind,
    }
}

fn book(rng: &mut SmallRng, accounts: &[Account]) -> Book {
    let usable = |a: &&Account| a.status == "ACTIVE" && a.system_account.is_none();
    let revenue = accounts
        .iter()
        .filter(usable)
        .filter(|a| a.class == "REVENUE");
    let expense = accounts
        .iter()
        .filter(usable)
        .filter(|a| a.class == "EXPENSE");
    let tracking = TRACKING
        .iter()
        .map(|(name, options)| TrackingDef {
            category_id: new_id(rng),
            name: Shared::new(name),
            options: options
                .iter()
                .map(|o| (new_id(rng), Shared::new(o)))
                .collect(),
        })
        .collect();
    Book {
        bank: info(&accounts[Role::Bank as usize]),
        receivable: info(&accounts[Role::Receivable as usize]),
        payable: info(&accounts[Role::Payable as usize]),
        tax: info(&accounts[Role::Tax as usize]),
        revenue: revenue.map(info).collect(),
        expense: expense.map(info).collect(),
        by_id: accounts
            .iter()
            .map(|a| (a.account_id, info(a)))
            .collect::<HashMap<_, _>>(),
        tracking,
    }
}

fn contacts(rng: &mut SmallRng, n: usize, start: i64, end: i64) -> Vec<Contact> {
    let stamps = timeline(rng, n, start, end, 0);
    let mut names = HashSet::with_capacity(n);
    stamps
        .into_iter()
        .enumerate()
        .map(|(i, stamp)| contact(rng, i as u64 + 1, stamp, &mut names))
        .collect()
}

/// A new contact with a unique name (Xero requires unique contact names).
pub fn contact(
    rng: &mut SmallRng,
    number: u64,
    updated_ms: i64,
    names: &mut HashSet<String>,
) -> Contact {
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let mut name = if rng.random_ratio(3, 4) {
        company_name(rng)
    } else {
        format!("{first} {last}")
    };
    if !names.insert(name.clone()) {
        name = format!("{name} ({number})");
        names.insert(name.clone());
    }
    let (city, region) = CITIES[rng.random_range(0..CITIES.len())];
    let domain: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let money = |rng: &mut SmallRng| Money(rng.random_range(0..500_000));
    let contact_id = new_id(rng);
    let persons = contact_persons(contact_id, &domain);
    Contact {
        head: ContactHead {
            contact_id,
            contact_number: String::new(),
            contact_status: if rng.random_ratio(3, 100) {
                "ARCHIVED"
            } else {
                "ACTIVE"
            },
            name,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email_address: format!(
                "{}.{}@{domain}.co.nz",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            bank_account_details: String::new(),
            tax_number: if rng.random_bool(0.5) {
                format!(
                    "{:03}-{:03}-{:03}",
                    rng.random_range(10..999),
                    rng.random_range(0..999),
                    rng.random_range(0..999)
                )
            } else {
                String::new()
            },
            is_supplier: rng.random_bool(0.4),
            is_customer: rng.random_bool(0.7),
            default_currency: "NZD",
            updated: MsDateTime(updated_ms),
            has_attachments: false,
            has_validation_errors: false,
            merged_to_contact_id: None,
        },
        detail: ContactDetail {
            addresses: vec![
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
            ],
            phones: phones(rng),
            contact_groups: Empty,
            contact_persons: persons,
            sales_default_line_amount_type: "EXCLUSIVE",
            purchases_default_line_amount_type: "EXCLUSIVE",
            balances: Balances {
                accounts_receivable: Balance {
                    outstanding: money(rng),
                    overdue: money(rng),
                },
                accounts_payable: Balance {
                    outstanding: money(rng),
                    overdue: money(rng),
                },
            },
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
