-- Manual journals and their lines, paged by a keyset on UpdatedDateUTC. Drafts, posted, voided
-- and deleted ones are all kept with their status. Xero gives lines no id: they are keyed by
-- their journal and 1-based position, and follow the journal's stored version exactly.
-- Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.manual_journals (
    tenant_id                  uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    manual_journal_id          uuid NOT NULL,
    narration                  text,
    date                       date,
    status                     text,
    line_amount_types          text,
    show_on_cash_basis_reports boolean,
    updated_date_utc           timestamptz,
    raw                        jsonb NOT NULL,
    synced_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, manual_journal_id)
);

CREATE INDEX manual_journals_tenant_updated ON xero.manual_journals (tenant_id, updated_date_utc);

CREATE TABLE xero.manual_journal_lines (
    tenant_id         uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    manual_journal_id uuid NOT NULL,
    line_number       integer NOT NULL,
    account_id        uuid,
    account_code      text,
    description       text,
    tax_type          text,
    tax_amount        numeric,
    line_amount       numeric,
    tracking          jsonb,
    raw               jsonb NOT NULL,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, manual_journal_id, line_number)
);

CREATE INDEX manual_journal_lines_account ON xero.manual_journal_lines (tenant_id, account_id);
