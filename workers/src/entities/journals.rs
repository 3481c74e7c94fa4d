//! Journals with their lines, walked by `offset` over `JournalNumber` (Xero advises against
//! `If-Modified-Since` here). Journals are immutable, so their digest version is their number.
//! Stored in `xero.journals` and `xero.journal_lines`.
//!
//! The largest set of an organisation by far (a hundred thousand journals and three times as
//! many lines is common), so it is stored by columns: decoded here and sent to Postgres as
//! typed arrays, a statement per table per batch. Every field Xero sends has a column, so a
//! journal's and a line's `raw` hold only what no column holds (usually nothing; see
//! [`crate::columns`]); `xero.journals_as_sent` puts a journal back together as sent.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::postgres::PgArguments;
use uuid::Uuid;
use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};
use xero_sync::xero::dates::from_ms;

use crate::columns::{Bind, Fields};

/// The Journals entity.
pub const ENTITY: Entity = Entity {
    name: "journals",
    endpoint: "Journals",
    collection: "Journals",
    id_field: "JournalID",
    paging: Paging::Offset {
        field: "JournalNumber",
    },
    // Order matters: the headers first, then their lines, then what the walk did not meet.
    store: Store::Columns {
        statements: &[
            include_str!("journals.upsert.sql"),
            include_str!("journals.lines.sql"),
            include_str!("journals.removed.sql"),
        ],
        encode,
    },
    digest: include_str!("journals.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.journals.read",
        broad: "accounting.journals.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored journal lines (the simulator's `journal_lines` digest).
pub const LINES_DIGEST: &str = include_str!("journals.lines.digest.sql");

/// The records of a batch's body.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(rename = "Journals", borrow, default)]
    journals: Vec<&'a RawValue>,
    /// The numbers the offset walk covered, when the body is a walk's batch.
    #[serde(default)]
    numbers: Option<Numbers>,
}

/// The numbers an offset walk covered: every journal Xero has numbered above `after` and up
/// to `through` (`None`: without end) is in the batch.
#[derive(Deserialize)]
struct Numbers {
    after: i64,
    through: Option<i64>,
}

/// One journal, decoded.
struct Journal {
    id: Uuid,
    number: i64,
    date: Option<NaiveDate>,
    created: Option<DateTime<Utc>>,
    reference: Option<String>,
    source_id: Option<Uuid>,
    source_type: Option<String>,
    raw: String,
    /// `None`: sent without `JournalLines`, so its stored lines stay as they are.
    lines: Option<Vec<Line>>,
}

/// One journal line, decoded; `raw` holds what no column does.
struct Line {
    id: Option<Uuid>,
    account_id: Option<Uuid>,
    account_code: Option<String>,
    account_type: Option<String>,
    account_name: Option<String>,
    description: Option<String>,
    net_amount: Option<String>,
    gross_amount: Option<String>,
    tax_amount: Option<String>,
    tax_type: Option<String>,
    tax_name: Option<String>,
    tracking: Option<String>,
    raw: String,
}

/// The arguments of `journals.upsert.sql`, `journals.lines.sql` and `journals.removed.sql` for
/// a batch's body. A journal sent twice is stored once, as last sent.
fn encode(tenant_id: Uuid, body: &str) -> Result<Vec<PgArguments>, String> {
    let body: Body =
        serde_json::from_str(body).map_err(|e| format!("a batch that is not JSON: {e}"))?;
    let mut journals: Vec<Journal> = Vec::with_capacity(body.journals.len());
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(body.journals.len());
    for (n, record) in body.journals.into_iter().enumerate() {
        let journal =
            decode(record).map_err(|why| format!("journal {} of the batch: {why}", n + 1))?;
        match at.get(&journal.id) {
            Some(&i) => journals[i] = journal,
            None => {
                at.insert(journal.id, journals.len());
                journals.push(journal);
            }
        }
    }
    Ok(vec![
        headers(tenant_id, &journals)?,
        lines(tenant_id, &journals)?,
        removed(tenant_id, body.numbers, &journals)?,
    ])
}

/// The arguments of `journals.removed.sql`: the range the walk covered (none: nothing is
/// marked) and the journals met in it.
fn removed(
    tenant_id: Uuid,
    numbers: Option<Numbers>,
    journals: &[Journal],
) -> Result<PgArguments, String> {
    Ok(Bind::default()
        .push(tenant_id)?
        .push(numbers.as_ref().map(|n| n.after))?
        .push(numbers.and_then(|n| n.through))?
        .push(journals.iter().map(|j| j.id).collect::<Vec<_>>())?
        .done())
}

/// A journal from its JSON: the id and number are required (the number is the cursor).
fn decode(record: &RawValue) -> Result<Journal, String> {
    let mut fields = Fields::parse(record)?;
    let id = fields
        .take_uuid("JournalID")
        .ok_or("no JournalID that is a UUID")?;
    let number = fields
        .take_integer("JournalNumber")
        .ok_or("no JournalNumber that is an integer")?;
    // Not an array (absent, null): the lines were not sent, and what was sent stays in `raw`.
    let lines = match fields.get("JournalLines") {
        Some(lines) if lines.get().starts_with('[') => {
            fields.remove("JournalLines");
            Some(decode_lines(lines)?)
        }
        _ => None,
    };
    Ok(Journal {
        id,
        number,
        date: fields.take_date("JournalDate"),
        created: fields.take_instant("CreatedDateUTC").and_then(from_ms),
        reference: fields.take_text("Reference"),
        source_id: fields.take_uuid("SourceID"),
        source_type: fields.take_text("SourceType"),
        raw: fields.to_json(),
        lines,
    })
}

fn decode_lines(lines: &RawValue) -> Result<Vec<Line>, String> {
    let lines: Vec<&RawValue> =
        serde_json::from_str(lines.get()).map_err(|e| format!("JournalLines: {e}"))?;
    lines
        .into_iter()
        .map(|line| {
            let mut f = Fields::parse(line).map_err(|e| format!("a journal line is {e}"))?;
            Ok(Line {
                id: f.take_uuid("JournalLineID"),
                account_id: f.take_uuid("AccountID"),
                account_code: f.take_text("AccountCode"),
                account_type: f.take_text("AccountType"),
                account_name: f.take_text("AccountName"),
                description: f.take_text("Description"),
                net_amount: f.take_number("NetAmount"),
                gross_amount: f.take_number("GrossAmount"),
                tax_amount: f.take_number("TaxAmount"),
                tax_type: f.take_text("TaxType"),
                tax_name: f.take_text("TaxName"),
                tracking: f.take_json("TrackingCategories"),
                raw: f.to_json(),
            })
        })
        .collect()
}

fn headers(tenant_id: Uuid, journals: &[Journal]) -> Result<PgArguments, String> {
    Ok(Bind::default()
        .push(tenant_id)?
        .push(journals.iter().map(|j| j.id).collect::<Vec<_>>())?
        .push(journals.iter().map(|j| j.number).collect::<Vec<_>>())?
        .push(journals.iter().map(|j| j.date).collect::<Vec<_>>())?
        .push(journals.iter().map(|j| j.created).collect::<Vec<_>>())?
        .push(
            journals
                .iter()
                .map(|j| j.reference.as_deref())
                .collect::<Vec<_>>(),
        )?
        .push(journals.iter().map(|j| j.source_id).collect::<Vec<_>>())?
        .push(
            journals
                .iter()
                .map(|j| j.source_type.as_deref())
                .collect::<Vec<_>>(),
        )?
        .push(journals.iter().map(|j| j.raw.as_str()).collect::<Vec<_>>())?
        .done())
}

fn lines(tenant_id: Uuid, journals: &[Journal]) -> Result<PgArguments, String> {
    let kept = kept_lines(journals);
    let with_lines: Vec<Uuid> = journals
        .iter()
        .filter(|j| j.lines.is_some())
        .map(|j| j.id)
        .collect();
    let text = |f: fn(&Line) -> &Option<String>| {
        kept.iter()
            .map(|(_, _, l)| f(l).as_deref())
            .collect::<Vec<_>>()
    };
    Ok(Bind::default()
        .push(tenant_id)?
        .push(with_lines)?
        .push(kept.iter().map(|(_, _, l)| l.id).collect::<Vec<_>>())?
        .push(kept.iter().map(|(j, _, _)| j.id).collect::<Vec<_>>())?
        .push(kept.iter().map(|(_, n, _)| *n).collect::<Vec<_>>())?
        .push(
            kept.iter()
                .map(|(_, _, l)| l.account_id)
                .collect::<Vec<_>>(),
        )?
        .push(text(|l| &l.account_code))?
        .push(text(|l| &l.account_type))?
        .push(text(|l| &l.account_name))?
        .push(text(|l| &l.description))?
        .push(text(|l| &l.net_amount))?
        .push(text(|l| &l.gross_amount))?
        .push(text(|l| &l.tax_amount))?
        .push(text(|l| &l.tax_type))?
        .push(text(|l| &l.tax_name))?
        .push(text(|l| &l.tracking))?
        .push(
            kept.iter()
                .map(|(_, _, l)| l.raw.as_str())
                .collect::<Vec<_>>(),
        )?
        .done())
}

/// Every line of the journals with its journal and its place (from 1), a line id sent twice
/// in the batch kept once, as last sent.
fn kept_lines(journals: &[Journal]) -> Vec<(&Journal, i16, &Line)> {
    let mut last: HashMap<Uuid, (usize, usize)> = HashMap::new();
    for (j, journal) in journals.iter().enumerate() {
        for (n, line) in journal.lines.iter().flatten().enumerate() {
            if let Some(id) = line.id {
                last.insert(id, (j, n));
            }
        }
    }
    journals
        .iter()
        .enumerate()
        .flat_map(|(j, journal)| {
            let lines = journal.lines.iter().flatten().enumerate();
            lines.map(move |(n, line)| (j, n, journal, line))
        })
        .filter(|(j, n, _, line)| line.id.is_none_or(|id| last.get(&id) == Some(&(*j, *n))))
        .map(|(_, n, journal, line)| (journal, i16::try_from(n + 1).unwrap_or(i16::MAX), line))
        .collect()
}
