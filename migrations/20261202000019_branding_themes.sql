-- Branding themes: a full-refresh set.
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.branding_themes (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    branding_theme_id      uuid NOT NULL,
    name                   text,
    type                   text,
    sort_order             integer,
    created_date_utc       timestamptz,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, branding_theme_id)
);
