-- Tax rates: a full-refresh set (no paging, no If-Modified-Since, no UpdatedDateUTC), keyed by
-- TaxType. Every run reads the whole set; a stored rate missing from it was removed in Xero and
-- is marked `removed_at` (kept, not deleted); one that comes back is unmarked.
-- Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.tax_rates (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    tax_type         text NOT NULL,
    name             text,
    status           text,
    report_tax_type  text,
    display_tax_rate numeric,
    effective_rate   numeric,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz,
    PRIMARY KEY (tenant_id, tax_type)
);
