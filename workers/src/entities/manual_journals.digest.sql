-- The digest's (id, version) of every stored manual journal of tenant $1.
SELECT manual_journal_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.manual_journals
WHERE tenant_id = $1
