//! Validates the simulator's real responses against Xero's official OpenAPI documents
//! (`../shared/reference/xero-openapi/`) with a real JSON Schema validator, formats included
//! (`format: uuid`, `date-time`), and proves the validator bites with broken bodies.
//!
//! The OpenAPI documents are 3.0; their schemas are used as JSON Schema by pointing a `$ref` at
//! `#/components/schemas/<Name>` inside a root that carries the spec's `components`. The spec
//! uses no `nullable`, and its `x-*` extensions are unknown keywords, which JSON Schema ignores.
//! The spec does not describe the envelope (`Id`, `Status`, `ProviderName`, `DateTimeUTC`), so
//! [`check_envelope`] asserts it separately. How many of a schema's properties the records
//! carry is measured too (`support::coverage`, which lists the ones left out and why).
#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;

use jsonschema::Validator;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Harness, coverage, small};

/// A spec path, an endpoint and a query.
type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);
/// What a broken body breaks, and how.
type Breakage = (&'static str, fn(&mut Value));

fn spec(name: &str) -> Option<Value> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/xero-openapi"
    ))
    .join(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        support::skip::skip(
            &format!("the checks against {name}"),
            &format!("{} is not present", path.display()),
        );
        return None;
    };
    Some(serde_yaml::from_str(&text).unwrap())
}

/// A validator for `#/components/schemas/<name>`, or for an inline schema of the spec.
fn validator(spec: &Value, schema: Value) -> Validator {
    let mut root = schema;
    root["components"] = spec["components"].clone();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap()
}

fn component(spec: &Value, name: &str) -> Validator {
    validator(
        spec,
        json!({ "$ref": format!("#/components/schemas/{name}") }),
    )
}

/// The 200 response schema of `GET <path>` in the spec.
fn response_schema(spec: &Value, path: &str) -> Value {
    spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone()
}

fn errors(v: &Validator, body: &Value) -> Vec<String> {
    v.iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn check_envelope(body: &Value) -> Result<(), String> {
    let id = body["Id"].as_str().ok_or("no Id")?;
    uuid::Uuid::parse_str(id).map_err(|e| format!("Id: {e}"))?;
    if body["Status"] != "OK" {
        return Err("Status is not OK".into());
    }
    body["ProviderName"].as_str().ok_or("no ProviderName")?;
    let date = body["DateTimeUTC"].as_str().ok_or("no DateTimeUTC")?;
    let ms = date
        .strip_prefix("/Date(")
        .and_then(|d| d.strip_suffix(")/"))
        .ok_or("DateTimeUTC format")?;
    ms.parse::<i64>().map_err(|e| format!("DateTimeUTC: {e}"))?;
    Ok(())
}

/// Checks a body against the schema of `GET <path>` and the envelope.
fn assert_valid(spec: &Value, path: &str, body: &Value) {
    let v = validator(spec, response_schema(spec, path));
    let errs = errors(&v, body);
    assert!(errs.is_empty(), "GET {path}: {errs:#?}");
    check_envelope(body).unwrap();
}

#[tokio::test]
async fn every_accounting_response_validates_against_the_official_schema() {
    let Some(spec) = spec("xero_accounting.yaml") else {
        return;
    };
    let h = Harness::start(small()).await;
    // Changes of every kind first, so voided, deleted and archived records are validated too.
    for entity in [
        "invoices",
        "payments",
        "manual_journals",
        "tax_rates",
        "items",
        "tracking_categories",
        "contact_groups",
        "currencies",
        "credit_notes",
        "purchase_orders",
        "overpayments",
        "prepayments",
        "bank_transactions",
        "bank_transfers",
        "batch_payments",
        "repeating_invoices",
        "quotes",
        "linked_transactions",
        "receipts",
        "expense_claims",
    ] {
        h.post("mutate", json!({ "entity": entity, "count": 30 }))
            .await;
    }
    let cases: [Case; 38] = [
        ("/Accounts", "Accounts", vec![]),
        (
            "/Contacts",
            "Contacts",
            vec![("page", "1"), ("includeArchived", "true")],
        ),
        ("/Contacts", "Contacts", vec![]),
        (
            "/Invoices",
            "Invoices",
            vec![("page", "2"), ("pageSize", "200")],
        ),
        ("/Invoices", "Invoices", vec![]),
        ("/Invoices", "Invoices", vec![("summaryOnly", "true")]),
        ("/Journals", "Journals", vec![("offset", "850")]),
        ("/Payments", "Payments", vec![("page", "1")]),
        ("/Payments", "Payments", vec![]),
        (
            "/ManualJournals",
            "ManualJournals",
            vec![("page", "1"), ("pageSize", "1000")],
        ),
        ("/TaxRates", "TaxRates", vec![]),
        ("/Items", "Items", vec![]),
        ("/Users", "Users", vec![]),
        ("/Currencies", "Currencies", vec![]),
        (
            "/TrackingCategories",
            "TrackingCategories",
            vec![("includeArchived", "true")],
        ),
        ("/TrackingCategories", "TrackingCategories", vec![]),
        ("/ContactGroups", "ContactGroups", vec![]),
        ("/BrandingThemes", "BrandingThemes", vec![]),
        ("/Organisation", "Organisations", vec![]),
        ("/CreditNotes", "CreditNotes", vec![("page", "1")]),
        ("/BankTransactions", "BankTransactions", vec![("page", "1")]),
        ("/Overpayments", "Overpayments", vec![("page", "1")]),
        ("/Prepayments", "Prepayments", vec![("page", "1")]),
        ("/PurchaseOrders", "PurchaseOrders", vec![("page", "1")]),
        (
            "/BankTransfers",
            "BankTransfers",
            vec![("includeDeleted", "true")],
        ),
        ("/BatchPayments", "BatchPayments", vec![]),
        ("/RepeatingInvoices", "RepeatingInvoices", vec![]),
        ("/Quotes", "Quotes", vec![("page", "1")]),
        (
            "/LinkedTransactions",
            "LinkedTransactions",
            vec![("page", "1")],
        ),
        ("/Receipts", "Receipts", vec![]),
        ("/ExpenseClaims", "ExpenseClaims", vec![]),
        (
            "/Reports/TrialBalance",
            "Reports",
            vec![("date", "2024-03-31")],
        ),
        ("/Reports/TrialBalance", "Reports", vec![]),
        (
            "/Reports/ProfitAndLoss",
            "Reports",
            vec![("fromDate", "2023-04-01"), ("toDate", "2024-03-31")],
        ),
        ("/Reports/ProfitAndLoss", "Reports", vec![]),
        (
            "/Reports/BalanceSheet",
            "Reports",
            vec![("date", "2024-03-31")],
        ),
        ("/Reports/BalanceSheet", "Reports", vec![]),
        (
            "/Reports/BankSummary",
            "Reports",
            vec![("fromDate", "2024-01-01"), ("toDate", "2024-03-31")],
        ),
    ];
    for (path, endpoint, query) in cases {
        // The path names the endpoint, `endpoint` the collection (`/Organisation` answers
        // `Organisations`).
        let body = h.get_json(&path[1..], &query, None).await;
        assert!(
            !body[endpoint].as_array().unwrap().is_empty(),
            "{endpoint} {query:?} is not empty"
        );
        assert_valid(&spec, path, &body);
    }
    // Every journal, not just one page, so every SourceType and line shape is checked.
    let journal = component(&spec, "Journal");
    for offset in (0..1000).step_by(100) {
        let body = h
            .get_json("Journals", &[("offset", &offset.to_string())], None)
            .await;
        for j in body["Journals"].as_array().unwrap() {
            let errs = errors(&journal, j);
            assert!(errs.is_empty(), "journal {}: {errs:#?}", j["JournalNumber"]);
        }
    }
}

/// The share of a schema's applicable properties the busiest entities must carry.
const MIN_COVERAGE: f64 = 0.8;

#[tokio::test]
async fn the_busiest_entities_carry_most_of_the_properties_the_spec_gives_them() {
    let Some(spec) = spec("xero_accounting.yaml") else {
        return;
    };
    let h = Harness::start(small()).await;
    for entity in [
        "invoices",
        "payments",
        "contacts",
        "credit_notes",
        "overpayments",
        "prepayments",
    ] {
        h.post("mutate", json!({ "entity": entity, "count": 40 }))
            .await;
    }
    // `(endpoint, schema, whether it must reach MIN_COVERAGE)`: payments of invoices, in
    // batches and refunds of credit among them.
    let entities = [
        ("Payments", "Payment", true),
        ("Contacts", "Contact", true),
        ("Invoices", "Invoice", true),
        ("CreditNotes", "CreditNote", true),
        ("Overpayments", "Overpayment", false),
        ("Prepayments", "Prepayment", false),
    ];
    for (endpoint, schema, bound) in entities {
        let records = h
            .all_pages(endpoint, &[("includeArchived", "true")], None)
            .await;
        let c = coverage::coverage(&spec, schema, &records);
        println!("{c}");
        let sent: Vec<_> = c.present.intersection(&c.left_out).collect();
        assert!(
            sent.is_empty(),
            "{schema} sends what it lists as left out: {sent:?}"
        );
        if bound {
            assert!(c.ratio() >= MIN_COVERAGE, "{c}");
        }
        if schema != "Overpayment" && schema != "Prepayment" {
            assert!(
                c.gaps().is_empty(),
                "{schema} lacks what it does not list: {c}"
            );
        }
        if [
            "Invoice",
            "Payment",
            "CreditNote",
            "Overpayment",
            "Prepayment",
        ]
        .contains(&schema)
        {
            assert!(c.present.contains("UpdatedDateUTCString"), "{c}");
        }
    }
}

#[tokio::test]
async fn identity_responses_validate_against_the_official_schema() {
    let Some(spec) = spec("xero-identity.yaml") else {
        return;
    };
    let h = Harness::start(support::small_with_tenants(2)).await;
    let res = h
        .http
        .post(format!("{}/connect/token", h.sim.origin()))
        .basic_auth(h.sim.client_id(), Some(h.sim.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "openid accounting.invoices"),
        ])
        .send()
        .await
        .unwrap();
    let token: Value = res.json().await.unwrap();
    assert!(token["id_token"].is_string());
    assert!(errors(&component(&spec, "AccessToken"), &token).is_empty());

    let res = h.connections().await;
    assert_eq!(res.status(), StatusCode::OK);
    let connections: Value = res.json().await.unwrap();
    let v =
        validator(
            &spec,
            spec["paths"]["/Connections"]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"]
                .clone(),
        );
    let errs = errors(&v, &connections);
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(connections.as_array().unwrap().len(), 2);
    // The schema requires no field: check the connection's own ids are there, as uuids.
    let uuid = component(&spec, "Connection");
    for c in connections.as_array().unwrap() {
        for key in ["id", "authEventId", "tenantId"] {
            let value = c[key].as_str().unwrap_or_else(|| panic!("{key} in {c}"));
            assert!(uuid::Uuid::parse_str(value).is_ok(), "{key} in {c}");
        }
        assert!(errors(&uuid, c).is_empty(), "{c}");
    }
    let event = &connections[0]["authEventId"];
    assert_eq!(&connections[1]["authEventId"], event);
}

#[tokio::test]
async fn the_validator_rejects_a_wrong_type_a_bad_uuid_a_bad_enum_and_a_missing_envelope() {
    let Some(spec) = spec("xero_accounting.yaml") else {
        return;
    };
    let h = Harness::start(small()).await;
    let body = h
        .get_json("Invoices", &[("page", "1"), ("pageSize", "5")], None)
        .await;
    let v = validator(&spec, response_schema(&spec, "/Invoices"));
    assert!(errors(&v, &body).is_empty());

    let broken: [Breakage; 5] = [
        ("a string total", |b| {
            b["Invoices"][0]["Total"] = json!("12.50")
        }),
        ("a bad uuid", |b| {
            b["Invoices"][0]["InvoiceID"] = json!("not-a-uuid")
        }),
        ("a bad status", |b| {
            b["Invoices"][0]["Status"] = json!("PENDING")
        }),
        ("a bad line uuid", |b| {
            b["Invoices"][1]["LineItems"][0]["AccountID"] = json!("123")
        }),
        ("a string page count", |b| {
            b["pagination"]["pageCount"] = json!("1")
        }),
    ];
    for (what, breaks) in broken {
        let mut bad = body.clone();
        breaks(&mut bad);
        assert!(!errors(&v, &bad).is_empty(), "{what} must fail validation");
    }
    for key in ["Id", "Status", "ProviderName", "DateTimeUTC"] {
        let mut bad = body.clone();
        bad.as_object_mut().unwrap().remove(key);
        assert!(check_envelope(&bad).is_err(), "missing {key} must fail");
    }
    let mut bad = body.clone();
    bad["DateTimeUTC"] = json!("2024-01-01T00:00:00");
    assert!(check_envelope(&bad).is_err());
}
