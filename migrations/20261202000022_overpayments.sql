-- Overpayments and their line items, paged by a keyset on UpdatedDateUTC; voided and deleted records
-- are kept with their status. The columns common to Xero's transaction documents are typed
-- (some are empty for some kinds); `raw` holds the whole record. Conventions: see
-- 20261124000010_accounts.sql and, for the lines, 20261124000012_invoices.sql.

CREATE TABLE xero.overpayments (
    tenant_id         uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    overpayment_id    uuid NOT NULL,
    type              text,
    number            text,
    reference         text,
    contact_id        uuid,
    status            text,
    line_amount_types text,
    date              date,
    sub_total         numeric,
    total_tax         numeric,
    total             numeric,
    remaining_credit  numeric,
    currency_code     text,
    currency_rate     numeric,
    bank_account_id   uuid,
    is_reconciled     boolean,
    updated_date_utc  timestamptz,
    raw               jsonb NOT NULL,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, overpayment_id)
);

CREATE INDEX overpayments_tenant_updated ON xero.overpayments (tenant_id, updated_date_utc);
CREATE INDEX overpayments_tenant_contact ON xero.overpayments (tenant_id, contact_id);

CREATE TABLE xero.overpayments_line_items (
    tenant_id    uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    line_item_id uuid NOT NULL,
    overpayment_id uuid NOT NULL,
    line_number  integer NOT NULL,
    description  text,
    quantity     numeric,
    unit_amount  numeric,
    item_code    text,
    account_code text,
    account_id   uuid,
    tax_type     text,
    tax_amount   numeric,
    line_amount  numeric,
    tracking     jsonb,
    raw          jsonb NOT NULL,
    synced_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, line_item_id)
);

CREATE INDEX overpayments_line_items_parent ON xero.overpayments_line_items (tenant_id, overpayment_id);
