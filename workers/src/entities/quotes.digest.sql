-- The digest's (id, version) of every stored Quotes record of tenant $1.
SELECT quote_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.quotes
WHERE tenant_id = $1
