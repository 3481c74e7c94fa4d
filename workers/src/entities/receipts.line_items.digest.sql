-- The digest's (id, version) of every stored Receipts line of tenant $1, as the simulator's
-- `receipts_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.receipts_line_items AS li
JOIN xero.receipts AS d ON d.tenant_id = li.tenant_id AND d.receipt_id = li.receipt_id
WHERE li.tenant_id = $1
