-- Stores a run's Currencies. $1 = tenant id, $2 = the records under `Currencies`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.currencies AS t (tenant_id, code, description, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Description',
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Currencies', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT r ->> 'Code' AS id) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, n DESC
ON CONFLICT (tenant_id, code) DO UPDATE SET
    description = excluded.description,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
