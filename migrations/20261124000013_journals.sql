-- Journals (the general ledger's postings) and their lines, walked by offset over JournalNumber.
-- Xero never edits a journal (an edit posts a reversal and a new journal), so rows only appear.
-- Conventions shared by all data tables: see 20261124000010_accounts.sql.

CREATE TABLE xero.journals (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    journal_id       uuid NOT NULL,
    journal_number   bigint NOT NULL,
    journal_date     date,
    created_date_utc timestamptz,
    reference        text,
    source_id        uuid,
    source_type      text,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, journal_id),
    -- Xero numbers journals uniquely per organisation; the offset cursor relies on it, and the
    -- index answers "greatest JournalNumber stored" for resuming a run.
    UNIQUE (tenant_id, journal_number)
);

-- The journals a transaction (invoice, payment…) posted.
CREATE INDEX journals_tenant_source ON xero.journals (tenant_id, source_id);

-- tracking_name / tracking_option come from the first tracking category of the line (Xero allows
-- two); `tracking` keeps the whole array.
CREATE TABLE xero.journal_lines (
    tenant_id        uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    journal_line_id  uuid NOT NULL,
    journal_id       uuid NOT NULL,
    account_id       uuid,
    account_code     text,
    account_type     text,
    account_name     text,
    description      text,
    net_amount       numeric,
    gross_amount     numeric,
    tax_amount       numeric,
    tax_type         text,
    tax_name         text,
    tracking_name    text,
    tracking_option  text,
    tracking         jsonb,
    raw              jsonb NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, journal_line_id)
);

CREATE INDEX journal_lines_tenant_journal ON xero.journal_lines (tenant_id, journal_id);
