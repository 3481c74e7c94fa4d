-- The organisation's own record (one per tenant).
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.organisation (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    organisation_id        uuid NOT NULL,
    name                   text,
    legal_name             text,
    base_currency          text,
    country_code           text,
    version                text,
    organisation_type      text,
    class                  text,
    edition                text,
    timezone               text,
    short_code             text,
    financial_year_end_day integer,
    financial_year_end_month integer,
    created_date_utc       timestamptz,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, organisation_id)
);
