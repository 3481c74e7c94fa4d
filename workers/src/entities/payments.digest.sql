-- The digest's (id, version) of every stored payment of tenant $1, deleted ones included.
SELECT payment_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.payments
WHERE tenant_id = $1
