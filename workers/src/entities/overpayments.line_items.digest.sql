-- The digest's (id, version) of every stored Overpayments line of tenant $1, as the simulator's
-- `overpayments_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.overpayments_line_items AS li
JOIN xero.overpayments AS d ON d.tenant_id = li.tenant_id AND d.overpayment_id = li.overpayment_id
WHERE li.tenant_id = $1
