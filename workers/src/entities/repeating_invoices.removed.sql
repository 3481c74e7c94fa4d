-- Mirrors removals: when the records are Xero's whole set (`complete`), a stored template that
-- is not among them was deleted in Xero; it is marked with when, never deleted. $1 = tenant
-- id, $2 = the records. An empty set removes nothing.
UPDATE xero.repeating_invoices AS t
SET removed_at = now(), synced_at = now()
WHERE t.tenant_id = $1
  AND t.removed_at IS NULL
  AND ($2::jsonb -> 'complete') = 'true'
  AND jsonb_array_length(coalesce($2::jsonb -> 'RepeatingInvoices', '[]')) > 0
  AND t.repeating_invoice_id NOT IN (
      SELECT (r ->> 'RepeatingInvoiceID')::uuid
      FROM jsonb_array_elements($2::jsonb -> 'RepeatingInvoices') AS e(r)
      WHERE r ->> 'RepeatingInvoiceID' IS NOT NULL)
