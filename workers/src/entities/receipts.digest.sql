-- The digest's (id, version) of every stored Receipts record of tenant $1.
SELECT receipt_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.receipts
WHERE tenant_id = $1
