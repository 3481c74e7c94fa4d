//! Tax rates (`GET /TaxRates`): unpaged, no `If-Modified-Since`, no `UpdatedDateUTC` — a
//! client can only read the whole set again, and must notice the rates that are gone. The set
//! starts as New Zealand's GST rates (the ones invoice lines use) plus a few custom rates;
//! `/sim/mutate` of `tax_rates` changes a custom rate's percentage, archives one, adds one, or
//! removes one outright (Xero lets an unused custom rate be deleted).

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use crate::outcome::Outcome;

/// One component of a rate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxComponent {
    pub name: String,
    pub rate: f64,
    pub is_compound: bool,
    pub is_non_recoverable: bool,
}

/// A tax rate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxRate {
    pub name: String,
    pub tax_type: String,
    pub report_tax_type: &'static str,
    pub can_apply_to_assets: bool,
    pub can_apply_to_equity: bool,
    pub can_apply_to_expenses: bool,
    pub can_apply_to_liabilities: bool,
    pub can_apply_to_revenue: bool,
    pub display_tax_rate: f64,
    pub effective_rate: f64,
    pub status: &'static str,
    pub tax_components: Vec<TaxComponent>,
    /// Whether invoice lines may name it (the built-in rates): never removed.
    #[serde(skip)]
    pub built_in: bool,
}

fn rate(tax_type: &str, name: &str, report: &'static str, percent: f64, built_in: bool) -> TaxRate {
    TaxRate {
        name: name.to_owned(),
        tax_type: tax_type.to_owned(),
        report_tax_type: report,
        can_apply_to_assets: true,
        can_apply_to_equity: true,
        can_apply_to_expenses: true,
        can_apply_to_liabilities: true,
        can_apply_to_revenue: true,
        display_tax_rate: percent,
        effective_rate: percent,
        status: "ACTIVE",
        tax_components: vec![TaxComponent {
            name: "GST".to_owned(),
            rate: percent,
            is_compound: false,
            is_non_recoverable: false,
        }],
        built_in,
    }
}

/// The rates a new organisation has: the built-in GST rates and `custom` custom ones.
pub fn generate(custom: usize) -> Vec<TaxRate> {
    let mut rates = vec![
        rate("OUTPUT2", "15% GST on Income", "OUTPUT", 15.0, true),
        rate("INPUT2", "15% GST on Expenses", "INPUT", 15.0, true),
        rate("NONE", "No GST", "NONE", 0.0, true),
        rate("EXEMPTOUTPUT", "Zero Rated", "EXEMPTOUTPUT", 0.0, true),
        rate("GSTONIMPORTS", "GST on Imports", "GSTONIMPORTS", 0.0, true),
    ];
    for n in 1..=custom {
        rates.push(custom_rate(n, 5.0 + n as f64));
    }
    rates
}

fn custom_rate(n: usize, percent: f64) -> TaxRate {
    rate(
        &format!("TAX{n:03}"),
        &format!("Custom rate {n}"),
        "OUTPUT",
        percent,
        false,
    )
}

/// The digest's `(id, version)` of every rate: the lower-case `TaxType`, and the effective rate
/// in ten-thousandths of a percent with 1 added for an archived rate (rates have no
/// `UpdatedDateUTC`; this changes whenever what a report would use changes).
pub fn versions(rates: &[TaxRate]) -> Vec<(String, i64)> {
    rates
        .iter()
        .map(|r| {
            let archived = i64::from(r.status != "ACTIVE");
            (
                r.tax_type.to_lowercase(),
                (r.effective_rate * 10_000.0).round() as i64 * 2 + archived,
            )
        })
        .collect()
}

/// One change to the tax rates; `next` numbers the custom rates added.
pub fn change(rates: &mut Vec<TaxRate>, next: &mut usize, rng: &mut SmallRng, out: &mut Outcome) {
    let custom: Vec<usize> = (0..rates.len()).filter(|&i| !rates[i].built_in).collect();
    let roll = rng.random_range(0..100);
    if custom.is_empty() || roll >= 75 {
        *next += 1;
        let percent = f64::from(rng.random_range(1..30_u8));
        rates.push(custom_rate(*next, percent));
        out.created += 1;
        return;
    }
    let i = custom[rng.random_range(0..custom.len())];
    match roll {
        0..35 => {
            let r = &mut rates[i];
            let percent = r.effective_rate + 0.5;
            r.effective_rate = percent;
            r.display_tax_rate = percent;
            r.tax_components[0].rate = percent;
            out.updated += 1;
        }
        35..50 => {
            rates[i].status = "ARCHIVED";
            out.updated += 1;
        }
        _ => {
            rates.remove(i);
            out.deleted += 1;
        }
    }
}
