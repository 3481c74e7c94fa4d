//! How many of a schema's properties the simulator's records carry, measured against the
//! official spec: the properties present on at least one record, those the spec has that no
//! record carries, and the ones left out on purpose, each with its reason.

use std::collections::BTreeSet;

use serde_json::Value;

/// Why a property of the spec is left out.
#[derive(Debug, Clone, Copy)]
pub enum Why {
    /// Xero does not send it in a typical (NZ) organisation's list responses: it is request or
    /// write-response only, single-record GETs only, or another region's.
    Inapplicable(&'static str),
    /// Xero sends it, but it needs data the simulator does not model: it counts as missing.
    Unmodelled(&'static str),
}

use Why::{Inapplicable, Unmodelled};

/// Properties of a schema left out on purpose: `(schema, property, why)`.
pub const LEFT_OUT: &[(&str, &str, Why)] = &[
    (
        "Payment",
        "InvoiceNumber",
        Inapplicable("request only: names the invoice a new payment pays"),
    ),
    (
        "Payment",
        "CreditNoteNumber",
        Inapplicable("request only: names the credit note a new payment pays"),
    ),
    (
        "Payment",
        "Code",
        Inapplicable("request only: names the account of a new payment by code"),
    ),
    (
        "Payment",
        "StatusAttributeString",
        Inapplicable("write responses only"),
    ),
    (
        "Payment",
        "ValidationErrors",
        Inapplicable("write responses only"),
    ),
    ("Payment", "Warnings", Inapplicable("write responses only")),
    (
        "Contact",
        "Attachments",
        Inapplicable("single-contact GETs only"),
    ),
    (
        "Contact",
        "ValidationErrors",
        Inapplicable("write responses only"),
    ),
    (
        "Contact",
        "StatusAttributeString",
        Inapplicable("write responses only"),
    ),
    (
        "Contact",
        "TaxNumberType",
        Inapplicable("US tax ids only (SSN, EIN, ITIN, ATIN)"),
    ),
    (
        "Contact",
        "XeroNetworkKey",
        Unmodelled("contacts linked through the Xero network are not modelled"),
    ),
    (
        "Contact",
        "BrandingTheme",
        Unmodelled("set per contact only when an organisation has several"),
    ),
    (
        "Contact",
        "Discount",
        Unmodelled("no contact has a default discount: no line is discounted"),
    ),
    (
        "Contact",
        "TrackingCategoryName",
        Inapplicable("a key of SalesTrackingCategories' elements"),
    ),
    (
        "Contact",
        "TrackingCategoryOption",
        Inapplicable("a key of SalesTrackingCategories' elements"),
    ),
    (
        "Invoice",
        "CISDeduction",
        Inapplicable("UK Construction Industry Scheme only"),
    ),
    (
        "Invoice",
        "CISRate",
        Inapplicable("UK Construction Industry Scheme only"),
    ),
    (
        "Invoice",
        "InvoiceAddresses",
        Inapplicable("US sales tax only"),
    ),
    (
        "Invoice",
        "Attachments",
        Inapplicable("single-invoice GETs only"),
    ),
    (
        "Invoice",
        "StatusAttributeString",
        Inapplicable("write responses only"),
    ),
    (
        "Invoice",
        "ValidationErrors",
        Inapplicable("write responses only"),
    ),
    ("Invoice", "Warnings", Inapplicable("write responses only")),
    (
        "Invoice",
        "Url",
        Unmodelled("set by apps that keep the source document elsewhere; not modelled"),
    ),
    (
        "Invoice",
        "RepeatingInvoiceID",
        Unmodelled("the templates' contacts are not the organisation's"),
    ),
    (
        "Invoice",
        "TotalDiscount",
        Unmodelled("sent with discounted lines only; no line is discounted"),
    ),
    (
        "CreditNote",
        "CISDeduction",
        Inapplicable("UK Construction Industry Scheme only"),
    ),
    (
        "CreditNote",
        "CISRate",
        Inapplicable("UK Construction Industry Scheme only"),
    ),
    (
        "CreditNote",
        "InvoiceAddresses",
        Inapplicable("US sales tax only"),
    ),
    (
        "CreditNote",
        "StatusAttributeString",
        Inapplicable("write responses only"),
    ),
    (
        "CreditNote",
        "ValidationErrors",
        Inapplicable("write responses only"),
    ),
    (
        "CreditNote",
        "Warnings",
        Inapplicable("write responses only"),
    ),
    (
        "CreditNote",
        "DueDate",
        Inapplicable("credit notes fall due never; the spec copies Invoice's"),
    ),
    (
        "CreditNote",
        "AppliedAmount",
        Inapplicable("on a credit note as an invoice lists it, not on its own"),
    ),
];

/// What a set of records carries of a schema.
#[derive(Debug)]
pub struct Coverage {
    /// The schema's name.
    pub schema: String,
    /// How many properties the spec gives it.
    pub spec: usize,
    /// The spec's properties some record carries.
    pub present: BTreeSet<String>,
    /// The spec's properties no record carries, left out on purpose or not.
    pub missing: BTreeSet<String>,
    /// The spec's properties left out on purpose.
    pub left_out: BTreeSet<String>,
    /// Of those, the ones that do not apply (the rest are not modelled).
    pub inapplicable: BTreeSet<String>,
}

impl Coverage {
    /// The spec's properties that apply: all but those Xero does not send in list responses.
    pub fn applicable(&self) -> usize {
        self.spec - self.inapplicable.len()
    }

    /// The share of the applicable properties some record carries.
    pub fn ratio(&self) -> f64 {
        self.present.len() as f64 / self.applicable().max(1) as f64
    }

    /// The applicable properties no record carries.
    pub fn gaps(&self) -> Vec<&String> {
        self.missing.difference(&self.left_out).collect()
    }
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} of the spec's {} properties, {} of the {} that apply ({:.0}%); \
             not modelled: {:?}; missing: {:?}",
            self.schema,
            self.present.len(),
            self.spec,
            self.present.len(),
            self.applicable(),
            self.ratio() * 100.0,
            self.left_out
                .difference(&self.inapplicable)
                .collect::<Vec<_>>(),
            self.gaps(),
        )
    }
}

/// What `records` carry of `#/components/schemas/<schema>`.
pub fn coverage(spec: &Value, schema: &str, records: &[Value]) -> Coverage {
    let properties: BTreeSet<String> = spec["components"]["schemas"][schema]["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let carried: BTreeSet<String> = records
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|r| r.keys().cloned())
        .collect();
    let listed: Vec<_> = LEFT_OUT
        .iter()
        .filter(|(s, p, _)| *s == schema && properties.contains(*p))
        .collect();
    let names = |keep: fn(&Why) -> bool| {
        listed
            .iter()
            .filter(|(_, _, why)| keep(why))
            .map(|(_, p, _)| (*p).to_owned())
            .collect()
    };
    Coverage {
        schema: schema.to_owned(),
        spec: properties.len(),
        present: properties.intersection(&carried).cloned().collect(),
        missing: properties.difference(&carried).cloned().collect(),
        left_out: names(|_| true),
        inapplicable: names(|why| matches!(why, Inapplicable(_))),
    }
}
