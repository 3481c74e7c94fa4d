-- Journals Xero stopped serving. By Xero's rules a journal is never deleted (an edit posts a
-- reversal), but should one vanish, a full walk of the journals (as a heal runs) now finds it:
-- every journal Xero has in the numbers a batch covered came in that batch, so one stored in
-- that range and not met is gone. It leaves `xero.journals` and `xero.journal_lines` (so the
-- ledger, its views and every sum over the tables stay Xero's) and is kept here, as it was
-- sent, with when it was found gone. A journal that comes back is stored again and leaves this
-- table. xero.apply_grants(), run after every migration, lets xero_sync_reader read it.
CREATE TABLE xero.removed_journals (
    tenant_id      uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    journal_id     uuid NOT NULL,
    journal_number bigint NOT NULL,
    removed_at     timestamptz NOT NULL DEFAULT now(),
    -- The journal with its lines, as `xero.journals_as_sent` gave it.
    record         jsonb NOT NULL,
    PRIMARY KEY (tenant_id, journal_id)
);
