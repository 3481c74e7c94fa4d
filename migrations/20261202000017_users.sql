-- Users of the organisation: unpaged with If-Modified-Since.
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.users (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    user_id                uuid NOT NULL,
    email_address          text,
    first_name             text,
    last_name              text,
    organisation_role      text,
    is_subscriber          boolean,
    updated_date_utc       timestamptz,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, user_id)
);
