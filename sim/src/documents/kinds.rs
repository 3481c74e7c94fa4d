//! The kinds of document served, one row each: endpoint and wire names, ids and numbers, the
//! types and statuses records take, which statuses may be edited or ended and what they end
//! as, which journals an authorised one posts, whether its credit can be allocated and whether
//! a paid one is dated.

/// One kind of document.
#[derive(Debug)]
pub struct Kind {
    /// The endpoint and collection key.
    pub endpoint: &'static str,
    /// The wire name of the entity (`/sim/mutate`, `/sim/digest`).
    pub entity: &'static str,
    /// The id's key.
    pub id_key: &'static str,
    /// The number's key and prefix, if the kind is numbered.
    pub number: Option<(&'static str, &'static str)>,
    /// `Type` values (none: the kind has no type).
    pub types: &'static [&'static str],
    /// Statuses generated records take, most common first.
    pub statuses: &'static [&'static str],
    /// Statuses whose records may be edited.
    pub editable: &'static [&'static str],
    /// What a status becomes when the record is deleted or voided.
    pub ends: &'static [(&'static str, &'static str)],
    /// The journal `SourceType`s of its authorised records, for (money in or sales, money out
    /// or purchases); none when the kind posts no journal.
    pub posts: Option<(&'static str, &'static str)>,
    /// Whether its credit can be allocated to invoices.
    pub allocates: bool,
    /// Whether a PAID one carries `FullyPaidOnDate` (the spec gives it to credit notes only).
    pub dates_paid: bool,
}

/// Every kind served.
pub const KINDS: &[Kind] = &[
    Kind {
        endpoint: "CreditNotes",
        entity: "credit_notes",
        id_key: "CreditNoteID",
        number: Some(("CreditNoteNumber", "CN")),
        types: &["ACCRECCREDIT", "ACCPAYCREDIT"],
        statuses: &["AUTHORISED", "PAID", "DRAFT", "VOIDED"],
        editable: &["DRAFT", "AUTHORISED"],
        ends: &[("DRAFT", "DELETED"), ("AUTHORISED", "VOIDED")],
        posts: Some(("ACCRECCREDIT", "ACCPAYCREDIT")),
        allocates: true,
        dates_paid: true,
    },
    Kind {
        endpoint: "BankTransactions",
        entity: "bank_transactions",
        id_key: "BankTransactionID",
        number: None,
        types: &["RECEIVE", "SPEND"],
        statuses: &["AUTHORISED", "AUTHORISED", "AUTHORISED", "DELETED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "DELETED")],
        posts: Some(("CASHREC", "CASHPAID")),
        allocates: false,
        dates_paid: false,
    },
    Kind {
        endpoint: "Overpayments",
        entity: "overpayments",
        id_key: "OverpaymentID",
        number: None,
        types: &["RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT"],
        statuses: &["AUTHORISED", "PAID", "VOIDED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "VOIDED")],
        posts: Some(("AROVERPAYMENT", "APOVERPAYMENT")),
        allocates: true,
        dates_paid: false,
    },
    Kind {
        endpoint: "Prepayments",
        entity: "prepayments",
        id_key: "PrepaymentID",
        number: None,
        types: &["RECEIVE-PREPAYMENT", "SPEND-PREPAYMENT"],
        statuses: &["AUTHORISED", "PAID", "VOIDED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "VOIDED")],
        posts: Some(("ARPREPAYMENT", "APPREPAYMENT")),
        allocates: true,
        dates_paid: false,
    },
    Kind {
        endpoint: "PurchaseOrders",
        entity: "purchase_orders",
        id_key: "PurchaseOrderID",
        number: Some(("PurchaseOrderNumber", "PO")),
        types: &[],
        statuses: &["AUTHORISED", "BILLED", "DRAFT", "SUBMITTED", "DELETED"],
        editable: &["DRAFT", "SUBMITTED", "AUTHORISED"],
        ends: &[
            ("DRAFT", "DELETED"),
            ("SUBMITTED", "DELETED"),
            ("AUTHORISED", "DELETED"),
        ],
        posts: None,
        allocates: false,
        dates_paid: false,
    },
    Kind {
        endpoint: "Quotes",
        entity: "quotes",
        id_key: "QuoteID",
        number: Some(("QuoteNumber", "QU")),
        types: &[],
        statuses: &[
            "SENT", "ACCEPTED", "DRAFT", "DECLINED", "INVOICED", "DELETED",
        ],
        editable: &["DRAFT", "SENT"],
        ends: &[("DRAFT", "DELETED"), ("SENT", "DELETED")],
        posts: None,
        allocates: false,
        dates_paid: false,
    },
    Kind {
        endpoint: "Receipts",
        entity: "receipts",
        id_key: "ReceiptID",
        number: Some(("ReceiptNumber", "")),
        types: &[],
        statuses: &["AUTHORISED", "SUBMITTED", "DRAFT", "DECLINED", "VOIDED"],
        editable: &["DRAFT", "SUBMITTED"],
        ends: &[("DRAFT", "VOIDED"), ("SUBMITTED", "DECLINED")],
        posts: None,
        allocates: false,
        dates_paid: false,
    },
];

/// The kind of an endpoint or entity name.
pub fn kind(name: &str) -> Option<usize> {
    KINDS
        .iter()
        .position(|k| k.endpoint == name || k.entity == name)
}
