//! A webhook event and its wire shape: `{resourceUrl, resourceId, tenantId, tenantType,
//! eventCategory, eventType, eventDateUtc}`, plus `data: {Type, Status}` on credit notes (the
//! spec's `CreditNoteWebhookEvent`).

use serde::Serialize;
use uuid::Uuid;

use crate::dates::webhook_date;

/// The categories the simulator notifies about. Xero's set is open (PREPAYMENT and PAYMENT came
/// in 2026); SUBSCRIPTION concerns the app's billing, which the simulator does not play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// `INVOICE`: invoices and bills.
    Invoice,
    /// `CONTACT`.
    Contact,
    /// `CREDITNOTE`, with the note's `Type` and `Status`.
    CreditNote,
    /// `PAYMENT`.
    Payment,
    /// `PREPAYMENT`.
    Prepayment,
}

impl Category {
    /// Every category, in the order the statistics list them.
    pub const ALL: [Category; 5] = [
        Category::Invoice,
        Category::Contact,
        Category::CreditNote,
        Category::Payment,
        Category::Prepayment,
    ];

    /// `eventCategory`.
    pub fn wire(self) -> &'static str {
        match self {
            Category::Invoice => "INVOICE",
            Category::Contact => "CONTACT",
            Category::CreditNote => "CREDITNOTE",
            Category::Payment => "PAYMENT",
            Category::Prepayment => "PREPAYMENT",
        }
    }

    /// The Accounting endpoint that serves the resource (`resourceUrl`).
    fn endpoint(self) -> &'static str {
        match self {
            Category::Invoice => "Invoices",
            Category::Contact => "Contacts",
            Category::CreditNote => "CreditNotes",
            Category::Payment => "Payments",
            Category::Prepayment => "Prepayments",
        }
    }
}

/// `resourceUrl` points at Xero itself, as real events do, never at the simulator: a receiver
/// takes the id and reads the record through its own API base.
const RESOURCE_BASE: &str = "https://api.xero.com/api.xro/2.0";

/// One change Xero would notify about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What kind of record changed.
    pub category: Category,
    /// `CREATE` (true) or `UPDATE`.
    pub created: bool,
    /// The record's id.
    pub resource_id: Uuid,
    /// The organisation.
    pub tenant_id: Uuid,
    /// When it happened, on the simulator clock (epoch ms).
    pub at_ms: i64,
    /// A credit note's `(Type, Status)` after the change.
    pub data: Option<(String, String)>,
}

/// An event as sent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireEvent {
    resource_url: String,
    resource_id: Uuid,
    tenant_id: Uuid,
    tenant_type: &'static str,
    event_category: &'static str,
    event_type: &'static str,
    event_date_utc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<CreditNoteData>,
}

/// `data` of a CREDITNOTE event.
#[derive(Serialize)]
struct CreditNoteData {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Status")]
    status: String,
}

impl Event {
    /// The event as it goes on the wire.
    pub fn wire(&self) -> WireEvent {
        let category = self.category;
        WireEvent {
            resource_url: format!(
                "{RESOURCE_BASE}/{}/{}",
                category.endpoint(),
                self.resource_id
            ),
            resource_id: self.resource_id,
            tenant_id: self.tenant_id,
            tenant_type: "ORGANISATION",
            event_category: category.wire(),
            event_type: if self.created { "CREATE" } else { "UPDATE" },
            event_date_utc: webhook_date(self.at_ms),
            data: self
                .data
                .clone()
                .map(|(kind, status)| CreditNoteData { kind, status }),
        }
    }
}
