-- The digest's (id, version) of every stored contact phone slot of tenant $1, as the
-- simulator's `contact_phones` digest: `{ContactID}/{PhoneType}`, and the contact's
-- UpdatedDateUTC.
SELECT contact_id::text || '/' || phone_type AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.contact_phones
WHERE tenant_id = $1
