-- The digest's (id, version) of every linked transaction tenant $1 has now (removed ones are
-- not), as the simulator's: the id and UpdatedDateUTC.
SELECT linked_transaction_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.linked_transactions
WHERE tenant_id = $1 AND removed_at IS NULL
