-- Tracking categories and their options: a full-refresh set (includeArchived=true).
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.tracking_categories (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    tracking_category_id   uuid NOT NULL,
    name                   text,
    status                 text,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, tracking_category_id)
);

CREATE TABLE xero.tracking_options (
    tenant_id            uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    tracking_option_id   uuid NOT NULL,
    tracking_category_id uuid NOT NULL,
    name                 text,
    status               text,
    raw                  jsonb NOT NULL,
    synced_at            timestamptz NOT NULL DEFAULT now(),
    removed_at           timestamptz,
    PRIMARY KEY (tenant_id, tracking_option_id)
);

CREATE INDEX tracking_options_category ON xero.tracking_options (tenant_id, tracking_category_id);
