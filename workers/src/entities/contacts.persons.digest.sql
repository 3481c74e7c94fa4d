-- The digest's (id, version) of every stored contact person of tenant $1, as the simulator's
-- `contact_persons` digest: `{ContactID}/{position}`, and the contact's UpdatedDateUTC.
SELECT contact_id::text || '/' || position AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.contact_persons
WHERE tenant_id = $1
