//! Which changes Xero would notify about, found by comparing a tenant's records before and
//! after a change: every invoice, contact, credit note, payment and prepayment that is new
//! (CREATE) or differs (UPDATE).
//!
//! Comparing, rather than having each entity's change announce itself, means no change can
//! forget to notify, and a change that reaches across records notifies for each of them (a
//! payment: the PAYMENT and its INVOICE; an allocation: the CREDITNOTE and the INVOICE; a
//! merge: both CONTACTs). An invoice also "differs" when its due date or `SentToContact`
//! moves without its `UpdatedDateUTC` (`invoice_due_dates`): exactly the edits a sync needs
//! webhooks for. A record changed twice within one call is notified once, for its last change.

use std::collections::HashMap;

use uuid::Uuid;

use super::event::{Category, Event};
use crate::documents::kinds::kind;
use crate::payments;
use crate::state::{App, Tenant, TenantData};

/// What identifies a record's state: its `UpdatedDateUTC`, what Xero changes without moving
/// it, and a credit note's `(Type, Status)` for the event's `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    updated_ms: i64,
    silent: (i64, bool),
    data: Option<(String, String)>,
}

impl Version {
    fn stamped(updated_ms: i64) -> Self {
        Self {
            updated_ms,
            silent: (0, false),
            data: None,
        }
    }
}

/// The versions of a tenant's notified records.
#[derive(Debug, Default)]
pub struct Snapshot(HashMap<(Category, Uuid), Version>);

impl Snapshot {
    /// Takes the versions of every record of the notified categories.
    pub fn of(data: &TenantData) -> Self {
        let mut map = HashMap::new();
        for inv in data.invoices.rows() {
            let head = &inv.head;
            let version = Version {
                silent: (head.due_date.0, head.sent_to_contact),
                ..Version::stamped(head.updated.0)
            };
            map.insert((Category::Invoice, head.invoice_id), version);
        }
        for c in data.contacts.rows() {
            let version = Version::stamped(c.head.updated.0);
            map.insert((Category::Contact, c.head.contact_id), version);
        }
        for (id, ms) in payments::versions(data) {
            map.insert((Category::Payment, id), Version::stamped(ms));
        }
        for (category, endpoint) in [
            (Category::CreditNote, "CreditNotes"),
            (Category::Prepayment, "Prepayments"),
        ] {
            let Some(set) = kind(endpoint).and_then(|i| data.documents.sets.get(i)) else {
                continue;
            };
            for doc in set.rows() {
                let text = |key: &str| doc.body[key].as_str().unwrap_or_default().to_owned();
                let data =
                    (category == Category::CreditNote).then(|| (text("Type"), text("Status")));
                let version = Version {
                    data,
                    ..Version::stamped(doc.updated_ms)
                };
                map.insert((category, doc.id), version);
            }
        }
        Self(map)
    }

    /// The events that lead from this snapshot to `after`, in the order they happened (then by
    /// category and id). An event is dated when its record was stamped, but never after `now_ms`
    /// (a change dated in the future by `future_secs` still happened now); a change that moved
    /// no stamp happened now.
    pub fn events(&self, after: &Snapshot, tenant_id: Uuid, now_ms: i64) -> Vec<Event> {
        let mut events: Vec<Event> = after
            .0
            .iter()
            .filter_map(|(&(category, resource_id), new)| {
                let old = self.0.get(&(category, resource_id));
                if old == Some(new) {
                    return None;
                }
                let stamped = old.is_none_or(|o| o.updated_ms != new.updated_ms);
                Some(Event {
                    category,
                    created: old.is_none(),
                    resource_id,
                    tenant_id,
                    at_ms: if stamped {
                        new.updated_ms.min(now_ms)
                    } else {
                        now_ms
                    },
                    data: new.data.clone(),
                })
            })
            .collect();
        events.sort_by_key(|e| (e.at_ms, e.category, e.resource_id));
        events
    }
}

/// Runs `change` on the tenant's data under its write lock and queues the events it caused.
/// Without a subscription, nothing is compared: the change costs what it always did.
pub fn watched<T>(app: &App, tenant: &Tenant, change: impl FnOnce(&mut TenantData) -> T) -> T {
    let mut data = tenant.write();
    if !app.webhooks.observing() {
        return change(&mut data);
    }
    let before = Snapshot::of(&data);
    let out = change(&mut data);
    let after = Snapshot::of(&data);
    // Queued before the lock is released: two changes of a tenant queue in their order.
    let events = before.events(&after, tenant.id, app.clock.now_ms());
    app.webhooks.queue(events);
    out
}
