-- The digest's (id, version) of every stored contact address of tenant $1, as the simulator's
-- `contact_addresses` digest: `{ContactID}/{AddressType}`, and the contact's UpdatedDateUTC.
SELECT contact_id::text || '/' || address_type AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.contact_addresses
WHERE tenant_id = $1
