-- Contacts (customers and suppliers, archived ones included), paged by a keyset on
-- UpdatedDateUTC. Conventions shared by all data tables: see 20261124000010_accounts.sql.

CREATE TABLE xero.contacts (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    contact_id       uuid NOT NULL,
    name             text,
    first_name       text,
    last_name        text,
    email_address    text,
    contact_status   text,
    is_supplier      boolean,
    is_customer      boolean,
    account_number   text,
    tax_number       text,
    updated_date_utc timestamptz,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contact_id)
);

CREATE INDEX contacts_tenant_updated ON xero.contacts (tenant_id, updated_date_utc);
CREATE INDEX contacts_tenant_name ON xero.contacts (tenant_id, name);
