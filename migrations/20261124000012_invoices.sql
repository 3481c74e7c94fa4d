-- Invoices (sales ACCREC and bills ACCPAY) and their line items, paged by a keyset on
-- UpdatedDateUTC. Conventions shared by all data tables: see 20261124000010_accounts.sql.
-- Amounts are `numeric`: Xero's decimals must not pick up binary floating-point error.

CREATE TABLE xero.invoices (
    tenant_id          uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    invoice_id         uuid NOT NULL,
    type               text,
    invoice_number     text,
    reference          text,
    contact_id         uuid,
    status             text,
    line_amount_types  text,
    date               date,
    due_date           date,
    sub_total          numeric,
    total_tax          numeric,
    total              numeric,
    amount_due         numeric,
    amount_paid        numeric,
    amount_credited    numeric,
    currency_code      text,
    currency_rate      numeric,
    fully_paid_on_date date,
    updated_date_utc   timestamptz,
    raw                jsonb NOT NULL,
    synced_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, invoice_id)
);

CREATE INDEX invoices_tenant_updated ON xero.invoices (tenant_id, updated_date_utc);
CREATE INDEX invoices_tenant_contact ON xero.invoices (tenant_id, contact_id);

-- The lines of an invoice, exactly as in its stored version: storing a new version of an invoice
-- deletes the lines it no longer has (Xero drops and renews LineItemIDs on edit). `raw` is the
-- line's JSON; the invoice's `raw` holds them all too.
CREATE TABLE xero.invoice_line_items (
    tenant_id     uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    line_item_id  uuid NOT NULL,
    invoice_id    uuid NOT NULL,
    line_number   integer NOT NULL,  -- 1-based position of the line in the invoice
    description   text,
    quantity      numeric,
    unit_amount   numeric,
    item_code     text,
    account_code  text,
    tax_type      text,
    tax_amount    numeric,
    line_amount   numeric,
    discount_rate numeric,
    tracking      jsonb,             -- the line's Tracking array (at most two categories)
    raw           jsonb NOT NULL,
    synced_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, line_item_id)
);

-- The lines of one invoice: operators' join, and the upsert's "delete the lines no longer there".
CREATE INDEX invoice_line_items_tenant_invoice
    ON xero.invoice_line_items (tenant_id, invoice_id, line_number);
