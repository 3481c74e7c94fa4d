-- Stores the journal headers of a batch, decoded by journals.rs: $1 = tenant id, then one array
-- per column ($2 JournalID … $9 raw), a journal per index, each journal once (as last sent).
-- `raw` holds the fields no column holds (its lines go to journals.lines.sql).
-- Journals are immutable, so storing one again normally rewrites nothing; should Xero ever send
-- different content for a journal, the newest fetch wins.
--
-- The table has no foreign key to xero.tenants (checked per row, it was the costliest part of
-- an insert): the tenant's row is locked once here instead, as the key's check would, so a
-- tenant deleted meanwhile waits for this transaction and its trigger then deletes what this
-- stored; a tenant already gone stores nothing.
WITH tenant AS (
    SELECT tenant_id FROM xero.tenants WHERE tenant_id = $1 FOR KEY SHARE
)
INSERT INTO xero.journals AS t (
    tenant_id, journal_id, journal_number, journal_date, created_date_utc, reference,
    source_id, source_type, raw
)
SELECT tenant.tenant_id, j.*
FROM tenant, unnest($2::uuid[], $3::bigint[], $4::date[], $5::timestamptz[], $6::text[], $7::uuid[],
            $8::text[], $9::jsonb[]) AS j
ON CONFLICT (tenant_id, journal_id) DO UPDATE SET
    journal_number = excluded.journal_number,
    journal_date = excluded.journal_date,
    created_date_utc = excluded.created_date_utc,
    reference = excluded.reference,
    source_id = excluded.source_id,
    source_type = excluded.source_type,
    raw = excluded.raw,
    synced_at = now()
WHERE (t.journal_number, t.journal_date, t.created_date_utc, t.reference, t.source_id,
       t.source_type, t.raw)
      IS DISTINCT FROM
      (excluded.journal_number, excluded.journal_date, excluded.created_date_utc,
       excluded.reference, excluded.source_id, excluded.source_type, excluded.raw)
