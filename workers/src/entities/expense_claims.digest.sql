-- The digest's (id, version) of every stored expense claim of tenant $1.
SELECT expense_claim_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.expense_claims
WHERE tenant_id = $1
