-- Mirrors removals: when the records are Xero's whole set (`complete`), a stored record that
-- is not among them was removed in Xero; it is marked with when, never deleted. $1 = tenant
-- id, $2 = the records. An empty set removes nothing.
UPDATE xero.users AS t
SET removed_at = now(), synced_at = now()
WHERE t.tenant_id = $1
  AND t.removed_at IS NULL
  AND ($2::jsonb -> 'complete') = 'true'
  AND jsonb_array_length(coalesce($2::jsonb -> 'Users', '[]')) > 0
  AND t.user_id NOT IN (
      SELECT (r ->> 'UserID')::uuid FROM jsonb_array_elements($2::jsonb -> 'Users') AS e(r)
      WHERE (r ->> 'UserID')::uuid IS NOT NULL)
