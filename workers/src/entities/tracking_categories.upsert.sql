-- Stores a run's TrackingCategories. $1 = tenant id, $2 = the records under `TrackingCategories`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.tracking_categories AS t (tenant_id, tracking_category_id, name, status, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Name',
    r ->> 'Status',
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'TrackingCategories', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'TrackingCategoryID')::uuid AS id) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, n DESC
ON CONFLICT (tenant_id, tracking_category_id) DO UPDATE SET
    name = excluded.name,
    status = excluded.status,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
