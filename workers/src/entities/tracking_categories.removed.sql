-- Mirrors removals: when the records are Xero's whole set (`complete`), a stored record that
-- is not among them was removed in Xero; it is marked with when, never deleted. $1 = tenant
-- id, $2 = the records. An empty set removes nothing.
UPDATE xero.tracking_categories AS t
SET removed_at = now(), synced_at = now()
WHERE t.tenant_id = $1
  AND t.removed_at IS NULL
  AND ($2::jsonb -> 'complete') = 'true'
  AND jsonb_array_length(coalesce($2::jsonb -> 'TrackingCategories', '[]')) > 0
  AND t.tracking_category_id NOT IN (
      SELECT (r ->> 'TrackingCategoryID')::uuid FROM jsonb_array_elements($2::jsonb -> 'TrackingCategories') AS e(r)
      WHERE (r ->> 'TrackingCategoryID')::uuid IS NOT NULL)
