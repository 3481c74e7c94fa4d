-- The digest's (id, version) of every stored PurchaseOrders line of tenant $1, as the simulator's
-- `purchase_orders_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.purchase_orders_line_items AS li
JOIN xero.purchase_orders AS d ON d.tenant_id = li.tenant_id AND d.purchase_order_id = li.purchase_order_id
WHERE li.tenant_id = $1
