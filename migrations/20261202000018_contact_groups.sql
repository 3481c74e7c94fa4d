-- Contact groups: a full-refresh set.
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.contact_groups (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    contact_group_id       uuid NOT NULL,
    name                   text,
    status                 text,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, contact_group_id)
);
