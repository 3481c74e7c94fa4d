-- The digest's (id, version) of every stored invoice of tenant $1.
SELECT invoice_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.invoices
WHERE tenant_id = $1
