-- Moves to xero.removed_journals the stored journals of tenant $1 numbered above $2 and up to
-- $3 (NULL: without end) that the batch did not bring ($4: the ids it brought), lines and all.
-- An offset walk meets every journal Xero has in that range, so one stored there and not met
-- is gone from Xero (see the migration of xero.removed_journals). A journal the batch brought
-- leaves that table, should it be there. $2 NULL (records that are no walk's batch, e.g. a
-- fetch by id): the statement does nothing. Runs after journals.upsert.sql and
-- journals.lines.sql (every CTE sees the rows as they were before this statement): one range
-- scan of the (tenant, number) index, and a probe of an all but always empty table per
-- journal.
WITH gone AS (
    SELECT j.journal_id, j.journal_number
    FROM xero.journals AS j
    WHERE j.tenant_id = $1
      AND $2::bigint IS NOT NULL
      AND j.journal_number > $2
      AND ($3::bigint IS NULL OR j.journal_number <= $3)
      -- NOT IN over a subquery becomes a hashed lookup. Ids are never NULL.
      AND j.journal_id NOT IN (SELECT unnest($4::uuid[]))
),
kept AS (
    INSERT INTO xero.removed_journals (tenant_id, journal_id, journal_number, record)
    SELECT $1, gone.journal_id, gone.journal_number, sent.record
    FROM gone
    JOIN xero.journals_as_sent AS sent
      ON sent.tenant_id = $1 AND sent.journal_id = gone.journal_id
    ON CONFLICT (tenant_id, journal_id) DO UPDATE SET
        journal_number = excluded.journal_number,
        removed_at = excluded.removed_at,
        record = excluded.record
),
lines AS (
    DELETE FROM xero.journal_lines AS l
    USING gone
    WHERE l.tenant_id = $1 AND l.journal_id = gone.journal_id
),
back AS (
    DELETE FROM xero.removed_journals AS r
    WHERE $2::bigint IS NOT NULL AND r.tenant_id = $1 AND r.journal_id = ANY ($4::uuid[])
)
DELETE FROM xero.journals AS j
USING gone
WHERE j.tenant_id = $1 AND j.journal_id = gone.journal_id
