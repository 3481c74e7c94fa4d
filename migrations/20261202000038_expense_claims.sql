-- Expense claims of Classic Expenses (deprecated by Xero; synced only when SYNC_ENTITIES
-- names them): a user's receipts claimed together. `raw` holds the receipts and payments.
-- Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.expense_claims (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    expense_claim_id uuid NOT NULL,
    status           text,
    user_id          uuid,
    total            numeric,
    amount_due       numeric,
    amount_paid      numeric,
    payment_due_date date,
    reporting_date   date,
    updated_date_utc timestamptz,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, expense_claim_id)
);
