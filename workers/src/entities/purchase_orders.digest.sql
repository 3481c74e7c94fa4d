-- The digest's (id, version) of every stored PurchaseOrders record of tenant $1.
SELECT purchase_order_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.purchase_orders
WHERE tenant_id = $1
