-- A sweep: the periodic re-read SYNC_FULL_EVERY schedules, reading summaries where the entity
-- asks Xero for them (Invoices: summaryOnly=true, without line items and payments). Such a run
-- merges what Xero changed without moving UpdatedDateUTC into the stored versions and moves no
-- watermark.
ALTER TABLE xero.sync_log ADD COLUMN summary boolean NOT NULL DEFAULT false;
