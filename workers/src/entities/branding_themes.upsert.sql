-- Stores a run's BrandingThemes. $1 = tenant id, $2 = the records under `BrandingThemes`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.branding_themes AS t (tenant_id, branding_theme_id, name, type, sort_order, created_date_utc, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Name',
    r ->> 'Type',
    (r ->> 'SortOrder')::integer,
    xero.ms_timestamp(r ->> 'CreatedDateUTC'),
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'BrandingThemes', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'BrandingThemeID')::uuid AS id) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, n DESC
ON CONFLICT (tenant_id, branding_theme_id) DO UPDATE SET
    name = excluded.name,
    type = excluded.type,
    sort_order = excluded.sort_order,
    created_date_utc = excluded.created_date_utc,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
