-- Makes the stored lines of each manual journal of one batch exactly the lines of its stored
-- version. $1 = tenant id, $2 = the batch's records. Runs after manual_journals.upsert.sql.
--
-- Which journals: those whose stored `raw` is the batch's record (the version the header
-- statement kept). A journal sent without `JournalLines` keeps its stored lines. Lines have no
-- Xero id: a line is its journal and 1-based position, and lines past the new count go. Each
-- line goes in whole; a trigger keeps in `raw` only the fields no column holds.
WITH journal AS (
    -- Each record's stored version found by its key, an index lookup per record whatever the
    -- statistics say (see invoices.line_items.sql).
    SELECT DISTINCT ON (m.manual_journal_id) m.manual_journal_id, e.r -> 'JournalLines' AS lines
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'ManualJournals', '[]')) AS e(r)
    CROSS JOIN LATERAL (
        SELECT s.manual_journal_id FROM xero.manual_journals AS s
        WHERE s.tenant_id = $1 AND s.manual_journal_id = (e.r ->> 'ManualJournalID')::uuid
          AND s.raw = xero.without_lines(e.r, 'JournalLines')
        OFFSET 0
    ) AS m
    WHERE jsonb_typeof(e.r -> 'JournalLines') = 'array'
),
removed AS (
    DELETE FROM xero.manual_journal_lines AS old
    WHERE old.ctid = ANY (ARRAY(
        SELECT stored.ctid
        FROM journal
        CROSS JOIN LATERAL (
            SELECT l.ctid FROM xero.manual_journal_lines AS l
            WHERE l.tenant_id = $1 AND l.manual_journal_id = journal.manual_journal_id
              AND l.line_number > jsonb_array_length(journal.lines)
            OFFSET 0
        ) AS stored))
)
INSERT INTO xero.manual_journal_lines AS t (
    tenant_id, manual_journal_id, line_number, account_id, account_code, description, tax_type,
    tax_amount, line_amount, tracking, raw
)
SELECT
    $1, journal.manual_journal_id, l.n,
    nullif(l.v ->> 'AccountID', '')::uuid, l.v ->> 'AccountCode', l.v ->> 'Description',
    l.v ->> 'TaxType', nullif(l.v ->> 'TaxAmount', '')::numeric,
    nullif(l.v ->> 'LineAmount', '')::numeric, l.v -> 'Tracking', l.v
FROM journal
CROSS JOIN LATERAL jsonb_array_elements(journal.lines) WITH ORDINALITY AS l(v, n)
ON CONFLICT (tenant_id, manual_journal_id, line_number) DO UPDATE SET
    account_id = excluded.account_id,
    account_code = excluded.account_code,
    description = excluded.description,
    tax_type = excluded.tax_type,
    tax_amount = excluded.tax_amount,
    line_amount = excluded.line_amount,
    tracking = excluded.tracking,
    raw = excluded.raw,
    synced_at = now()
WHERE (t.account_id, t.account_code, t.description, t.tax_type, t.tax_amount, t.line_amount,
       t.tracking, t.raw)
      IS DISTINCT FROM
      (excluded.account_id, excluded.account_code, excluded.description, excluded.tax_type,
       excluded.tax_amount, excluded.line_amount, excluded.tracking, excluded.raw)
