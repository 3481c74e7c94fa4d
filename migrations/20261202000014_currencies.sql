-- Currencies: a full-refresh set (no paging, no If-Modified-Since), keyed by code.
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.currencies (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    code                   text NOT NULL,
    description            text,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, code)
);
