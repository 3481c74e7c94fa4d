-- Batch payments: unpaged with If-Modified-Since; a deleted batch is kept with
-- `status = 'DELETED'`. Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.batch_payments (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    batch_payment_id uuid NOT NULL,
    type             text,
    status           text,
    date             date,
    reference        text,
    total_amount     numeric,
    account_id       uuid,
    is_reconciled    boolean,
    updated_date_utc timestamptz,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, batch_payment_id)
);
