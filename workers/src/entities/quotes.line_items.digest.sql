-- The digest's (id, version) of every stored Quotes line of tenant $1, as the simulator's
-- `quotes_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.quotes_line_items AS li
JOIN xero.quotes AS d ON d.tenant_id = li.tenant_id AND d.quote_id = li.quote_id
WHERE li.tenant_id = $1
