-- Makes the stored options of each tracking category of a run those Xero has: options are
-- upserted, and (the run's records being Xero's whole set) an option missing from its category
-- is marked removed. $1 = tenant id, $2 = the records. Runs after the categories' statements.
WITH category AS (
    SELECT (r ->> 'TrackingCategoryID')::uuid AS id, r -> 'Options' AS options
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'TrackingCategories', '[]')) AS e(r)
    WHERE jsonb_typeof(r -> 'Options') = 'array' AND r ->> 'TrackingCategoryID' IS NOT NULL
),
option AS (
    SELECT DISTINCT ON ((o ->> 'TrackingOptionID')::uuid)
        category.id AS category_id, (o ->> 'TrackingOptionID')::uuid AS id, o
    FROM category CROSS JOIN LATERAL jsonb_array_elements(category.options) AS l(o)
    WHERE o ->> 'TrackingOptionID' IS NOT NULL
),
removed AS (
    UPDATE xero.tracking_options AS old
    SET removed_at = now(), synced_at = now()
    FROM category
    WHERE ($2::jsonb -> 'complete') = 'true'
      AND old.tenant_id = $1
      AND old.tracking_category_id = category.id
      AND old.removed_at IS NULL
      AND old.tracking_option_id NOT IN (SELECT option.id FROM option)
)
INSERT INTO xero.tracking_options AS t (
    tenant_id, tracking_option_id, tracking_category_id, name, status, raw
)
SELECT $1, id, category_id, o ->> 'Name', o ->> 'Status', o
FROM option
ON CONFLICT (tenant_id, tracking_option_id) DO UPDATE SET
    tracking_category_id = excluded.tracking_category_id,
    name = excluded.name,
    status = excluded.status,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL
