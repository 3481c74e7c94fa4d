-- Makes the stored lines of each journal of a batch exactly the lines sent, decoded by
-- journals.rs: $1 = tenant id, $2 = the journals sent with a `JournalLines` array (a journal
-- without one keeps its stored lines: absence means "not sent", not "no lines"), then one array
-- per column ($3 JournalLineID … $17 raw), a line per index, each line id once. `raw` holds
-- the line's fields that no column holds. Runs after journals.upsert.sql. Storing the same
-- lines twice leaves the same rows: identical lines are not rewritten.
--
-- One statement: the DELETE of lines no longer present and the upsert of the present ones act
-- on disjoint rows (a line is deleted only if its id is nowhere in the batch's lines). The
-- tenant's row is locked as in journals.upsert.sql (the table has no foreign key).
WITH tenant AS (
    SELECT tenant_id FROM xero.tenants WHERE tenant_id = $1 FOR KEY SHARE
),
line AS (
    -- Xero always sends a JournalLineID; should one be missing, the line is keyed by its
    -- journal and position rather than dropped.
    SELECT coalesce(l.id, md5(l.journal_id::text || '/' || l.n)::uuid) AS journal_line_id, l.*
    FROM unnest($3::uuid[], $4::uuid[], $5::smallint[], $6::uuid[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::numeric[], $12::numeric[], $13::numeric[],
                $14::text[], $15::text[], $16::jsonb[], $17::jsonb[])
        AS l(id, journal_id, n, account_id, account_code, account_type, account_name,
             description, net_amount, gross_amount, tax_amount, tax_type, tax_name, tracking,
             raw)
),
removed AS (
    -- The stored lines of the journals sent, found by one index lookup per journal (the
    -- lateral subquery, kept apart by OFFSET 0, cannot be merged into a join), then deleted
    -- by their row address. Joined to the array instead, a table that grew since it was last
    -- analysed — a first sync — was planned as a scan of every line of the tenant, per batch.
    DELETE FROM xero.journal_lines AS old
    WHERE old.ctid = ANY (ARRAY(
        SELECT stored.ctid
        FROM unnest($2::uuid[]) AS sent(journal_id)
        CROSS JOIN LATERAL (
            SELECT l.ctid, l.journal_line_id
            FROM xero.journal_lines AS l
            WHERE l.tenant_id = $1 AND l.journal_id = sent.journal_id
            OFFSET 0
        ) AS stored
        -- NOT IN over a CTE becomes a hashed lookup. Ids are never NULL.
        WHERE stored.journal_line_id NOT IN (SELECT line.journal_line_id FROM line)))
)
INSERT INTO xero.journal_lines AS t (
    tenant_id, journal_line_id, journal_id, line_number, account_id, account_code, account_type,
    account_name, description, net_amount, gross_amount, tax_amount, tax_type, tax_name,
    tracking_name, tracking_option, tracking, raw
)
SELECT
    tenant.tenant_id, journal_line_id, journal_id, n, account_id, account_code, account_type, account_name,
    description, net_amount, gross_amount, tax_amount, tax_type, tax_name,
    tracking -> 0 ->> 'Name', tracking -> 0 ->> 'Option', tracking, raw
FROM tenant, line
ON CONFLICT (tenant_id, journal_id, journal_line_id) DO UPDATE SET
    line_number = excluded.line_number,
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
WHERE (t.line_number, t.account_id, t.account_code, t.account_type,
       t.account_name, t.description, t.net_amount, t.gross_amount, t.tax_amount, t.tax_type,
       t.tax_name, t.tracking, t.raw)
      IS DISTINCT FROM
      (excluded.line_number, excluded.account_id, excluded.account_code,
       excluded.account_type, excluded.account_name, excluded.description, excluded.net_amount,
       excluded.gross_amount, excluded.tax_amount, excluded.tax_type, excluded.tax_name,
       excluded.tracking, excluded.raw)
