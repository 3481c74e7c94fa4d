-- The digest's (id, version) of every stored Overpayments record of tenant $1.
SELECT overpayment_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.overpayments
WHERE tenant_id = $1
