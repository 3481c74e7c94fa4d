-- The digest's (id, version) of every stored batch payment of tenant $1.
SELECT batch_payment_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.batch_payments
WHERE tenant_id = $1
