-- Makes the stored lines of each journal of one page exactly the lines of its stored version.
-- $1 = tenant id, $2 = the response body. Runs after journals.upsert.sql.
--
-- Which journals: those whose stored `raw` is the page's record (the version the header
-- statement kept). A journal without a `JournalLines` array keeps its stored lines: absence
-- means "not sent", not "no lines". Storing the same page twice leaves the same rows: lines are
-- keyed by JournalLineID and identical lines are not rewritten.
--
-- One statement: the DELETE of lines no longer present and the upsert of the present ones act
-- on disjoint rows (a line is deleted only if its id is nowhere in the page's lines).
WITH journal AS (
    SELECT DISTINCT ON (j.journal_id) j.journal_id, r -> 'JournalLines' AS lines
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'Journals', '[]')) AS e(r)
    JOIN xero.journals AS j
      ON j.tenant_id = $1 AND j.journal_id = (r ->> 'JournalID')::uuid AND j.raw = r
    WHERE jsonb_typeof(r -> 'JournalLines') = 'array'
),
line AS (
    -- Xero always sends a JournalLineID; should one be missing, the line is keyed by its
    -- journal and position rather than dropped.
    SELECT DISTINCT ON (journal_line_id) journal.journal_id, l.v, journal_line_id
    FROM journal
    CROSS JOIN LATERAL jsonb_array_elements(journal.lines) WITH ORDINALITY AS l(v, n)
    CROSS JOIN LATERAL (
        SELECT coalesce(nullif(l.v ->> 'JournalLineID', '')::uuid,
                        md5(journal.journal_id::text || '/' || l.n)::uuid) AS journal_line_id
    ) AS k
    ORDER BY journal_line_id, journal.journal_id, l.n DESC
),
removed AS (
    DELETE FROM xero.journal_lines AS old
    USING journal
    WHERE old.tenant_id = $1
      AND old.journal_id = journal.journal_id
      -- NOT IN over a CTE becomes a hashed lookup; NOT EXISTS was planned as a nested loop
      -- (lines x stored lines: seconds for a page of 1,000 invoices). Ids are never NULL.
      AND old.journal_line_id NOT IN (SELECT line.journal_line_id FROM line)
)
INSERT INTO xero.journal_lines AS t (
    tenant_id, journal_line_id, journal_id, account_id, account_code, account_type, account_name,
    description, net_amount, gross_amount, tax_amount, tax_type, tax_name, tracking_name,
    tracking_option, tracking, raw
)
SELECT
    $1, journal_line_id, journal_id,
    nullif(v ->> 'AccountID', '')::uuid,
    v ->> 'AccountCode', v ->> 'AccountType', v ->> 'AccountName', v ->> 'Description',
    nullif(v ->> 'NetAmount', '')::numeric, nullif(v ->> 'GrossAmount', '')::numeric,
    nullif(v ->> 'TaxAmount', '')::numeric,
    v ->> 'TaxType', v ->> 'TaxName',
    v -> 'TrackingCategories' -> 0 ->> 'Name', v -> 'TrackingCategories' -> 0 ->> 'Option',
    v -> 'TrackingCategories', v
FROM line
ON CONFLICT (tenant_id, journal_line_id) DO UPDATE SET
    journal_id = excluded.journal_id,
    account_id = excluded.account_id,
    account_code = excluded.account_code,
    account_type = excluded.account_type,
    account_name = excluded.account_name,
    description = excluded.description,
    net_amount = excluded.net_amount,
    gross_amount = excluded.gross_amount,
    tax_amount = excluded.tax_amount,
    tax_type = excluded.tax_type,
    tax_name = excluded.tax_name,
    tracking_name = excluded.tracking_name,
    tracking_option = excluded.tracking_option,
    tracking = excluded.tracking,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
   OR t.journal_id IS DISTINCT FROM excluded.journal_id
