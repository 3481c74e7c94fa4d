-- The digest's (id, version) of every repeating invoice tenant $1 has now (removed ones are
-- not), as the simulator's: the id, and 60 bits of SHA-256 over its reference and status.
SELECT repeating_invoice_id::text AS id, xero.content_version(raw) AS version
FROM xero.repeating_invoices
WHERE tenant_id = $1 AND removed_at IS NULL
