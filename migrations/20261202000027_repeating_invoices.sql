-- Repeating invoice templates: a full-refresh set; a template deleted in Xero is marked
-- `removed_at`. Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.repeating_invoices (
    tenant_id            uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    repeating_invoice_id uuid NOT NULL,
    type                 text,
    status               text,
    contact_id           uuid,
    reference            text,
    schedule             jsonb,
    sub_total            numeric,
    total_tax            numeric,
    total                numeric,
    currency_code        text,
    raw                  jsonb NOT NULL,
    synced_at            timestamptz NOT NULL DEFAULT now(),
    removed_at           timestamptz,
    PRIMARY KEY (tenant_id, repeating_invoice_id)
);
