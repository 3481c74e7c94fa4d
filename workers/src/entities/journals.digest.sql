-- The digest's (id, version) of every stored journal of tenant $1: journals never change, so
-- their version is their JournalNumber.
SELECT journal_id::text AS id, journal_number AS version
FROM xero.journals
WHERE tenant_id = $1
