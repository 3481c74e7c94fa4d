-- Accounts: the tenant's chart of accounts, fetched whole (Accounts is not paged).
--
-- Conventions shared by every data table (accounts, contacts, invoices, journals):
-- * `tenant_id` leads every key: one database holds many organisations, and Xero ids are only
--   promised unique within one.
-- * typed columns for what operators query, and `raw` with the full Xero record as fetched, so a
--   field we did not type is never lost and can be typed later from `raw`.
-- * `synced_at` is when the stored version was written; re-storing an identical record leaves
--   the row (and so `synced_at`) untouched.
-- * the only foreign key is to `xero.tenants` (ON DELETE CASCADE: forgetting a tenant forgets its
--   data). There are none between data tables: Xero's own consistency is not ours to enforce
--   (a journal line may name an account we have not synced yet), and the per-row checks would
--   slow the set-based upserts.

CREATE TABLE xero.accounts (
    tenant_id           uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    account_id          uuid NOT NULL,
    code                text,
    name                text,
    type                text,
    status              text,
    tax_type            text,
    class               text,
    description         text,
    bank_account_number text,
    currency_code       text,
    reporting_code      text,
    updated_date_utc    timestamptz,
    raw                 jsonb NOT NULL,
    synced_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, account_id)
);

-- "What changed since…" for operators and the incremental watermark.
CREATE INDEX accounts_tenant_updated ON xero.accounts (tenant_id, updated_date_utc);
