-- The digest's (id, version) of every contact group tenant $1 has now (removed ones are not), as the
-- simulator's: the id, and 60 bits of SHA-256 over the name and status (the set has no UpdatedDateUTC).
SELECT contact_group_id::text AS id, xero.content_version(raw) AS version
FROM xero.contact_groups
WHERE tenant_id = $1 AND removed_at IS NULL
