-- Stores a run's Items. $1 = tenant id, $2 = the records under `Items`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing; an older version never overwrites a newer one. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.items AS t (tenant_id, item_id, code, name, description, is_sold, is_purchased, is_tracked_as_inventory, sales_unit_price, purchase_unit_price, quantity_on_hand, updated_date_utc, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Code',
    r ->> 'Name',
    r ->> 'Description',
    (r ->> 'IsSold')::boolean,
    (r ->> 'IsPurchased')::boolean,
    (r ->> 'IsTrackedAsInventory')::boolean,
    nullif(r -> 'SalesDetails' ->> 'UnitPrice', '')::numeric,
    nullif(r -> 'PurchaseDetails' ->> 'UnitPrice', '')::numeric,
    nullif(r ->> 'QuantityOnHand', '')::numeric,
    k.updated,
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Items', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'ItemID')::uuid AS id, xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, item_id) DO UPDATE SET
    code = excluded.code,
    name = excluded.name,
    description = excluded.description,
    is_sold = excluded.is_sold,
    is_purchased = excluded.is_purchased,
    is_tracked_as_inventory = excluded.is_tracked_as_inventory,
    sales_unit_price = excluded.sales_unit_price,
    purchase_unit_price = excluded.purchase_unit_price,
    quantity_on_hand = excluded.quantity_on_hand,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
