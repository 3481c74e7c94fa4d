-- Payments against invoices, paged by a keyset on UpdatedDateUTC. A deleted payment stays with
-- `status = 'DELETED'` (Xero keeps serving it). Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.payments (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    payment_id       uuid NOT NULL,
    payment_type     text,
    status           text,
    date             date,
    amount           numeric,
    bank_amount      numeric,
    currency_rate    numeric,
    reference        text,
    is_reconciled    boolean,
    account_id       uuid,
    invoice_id       uuid,
    credit_note_id   uuid,
    prepayment_id    uuid,
    overpayment_id   uuid,
    batch_payment_id uuid,
    updated_date_utc timestamptz,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, payment_id)
);

CREATE INDEX payments_tenant_updated ON xero.payments (tenant_id, updated_date_utc);
CREATE INDEX payments_tenant_invoice ON xero.payments (tenant_id, invoice_id);
