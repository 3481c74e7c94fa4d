-- Stores the journal headers of one page of Journals. $1 = tenant id, $2 = the response body.
-- Journals are immutable, so storing one again normally rewrites nothing; should Xero ever send
-- different content for a journal, the newest fetch wins. A page may hold the same journal twice:
-- keep the last, since ON CONFLICT cannot touch one row twice in a statement.
INSERT INTO xero.journals AS t (
    tenant_id, journal_id, journal_number, journal_date, created_date_utc, reference,
    source_id, source_type, raw
)
SELECT DISTINCT ON (journal_id)
    $1, journal_id,
    (r ->> 'JournalNumber')::bigint,
    xero.ms_date(r ->> 'JournalDate'),
    xero.ms_timestamp(r ->> 'CreatedDateUTC'),
    r ->> 'Reference',
    nullif(r ->> 'SourceID', '')::uuid,
    r ->> 'SourceType',
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Journals', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'JournalID')::uuid AS journal_id) AS k
ORDER BY journal_id, n DESC
ON CONFLICT (tenant_id, journal_id) DO UPDATE SET
    journal_number = excluded.journal_number,
    journal_date = excluded.journal_date,
    created_date_utc = excluded.created_date_utc,
    reference = excluded.reference,
    source_id = excluded.source_id,
    source_type = excluded.source_type,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
