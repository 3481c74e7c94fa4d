-- Mirrors removals: the last batch of a walk of the whole set (`complete`) marks every stored
-- linked transaction the run did not meet (its `seen_run` is another run's) as removed in Xero,
-- with when; it is never deleted. $1 = tenant id, $2 = the records and the run id.
UPDATE xero.linked_transactions AS t
SET removed_at = now(), synced_at = now()
WHERE t.tenant_id = $1
  AND t.removed_at IS NULL
  AND ($2::jsonb -> 'complete') = 'true'
  AND t.seen_run IS DISTINCT FROM ($2::jsonb ->> 'run')::uuid
