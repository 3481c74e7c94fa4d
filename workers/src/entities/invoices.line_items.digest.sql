-- The digest's (id, version) of every stored invoice line item of tenant $1, as the simulator's
-- `invoice_line_items` digest: the line's id, and its invoice's UpdatedDateUTC (lines have none).
SELECT li.line_item_id::text AS id, xero.epoch_ms(i.updated_date_utc) AS version
FROM xero.invoice_line_items AS li
JOIN xero.invoices AS i ON i.tenant_id = li.tenant_id AND i.invoice_id = li.invoice_id
WHERE li.tenant_id = $1
