-- The digest's (id, version) of every stored contact of tenant $1.
SELECT contact_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.contacts
WHERE tenant_id = $1
