-- The digest's (id, version) of every stored account of tenant $1.
SELECT account_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.accounts
WHERE tenant_id = $1
