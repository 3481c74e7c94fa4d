-- The digest's (id, version) of every stored Prepayments record of tenant $1.
SELECT prepayment_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.prepayments
WHERE tenant_id = $1
