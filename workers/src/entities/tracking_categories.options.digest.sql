-- The digest's (id, version) of every tracking option tenant $1 has now, as the simulator's
-- `tracking_options`: the option's id, and 60 bits of SHA-256 over its name and status.
SELECT tracking_option_id::text AS id, xero.content_version(raw) AS version
FROM xero.tracking_options
WHERE tenant_id = $1 AND removed_at IS NULL
