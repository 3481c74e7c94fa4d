-- Mirrors removals: the run's records are Xero's whole set of tax rates, so a stored rate that
-- is not among them was removed in Xero. It is marked with when, never deleted. $1 = tenant
-- id, $2 = the records. An empty set removes nothing: every organisation has rates, so an
-- empty answer is not taken as "all removed".
UPDATE xero.tax_rates AS t
SET removed_at = now(), synced_at = now()
WHERE t.tenant_id = $1
  AND t.removed_at IS NULL
  AND ($2::jsonb -> 'complete') = 'true'
  AND jsonb_array_length(coalesce($2::jsonb -> 'TaxRates', '[]')) > 0
  AND t.tax_type NOT IN (
      SELECT r ->> 'TaxType' FROM jsonb_array_elements($2::jsonb -> 'TaxRates') AS e(r)
      WHERE r ->> 'TaxType' IS NOT NULL)
