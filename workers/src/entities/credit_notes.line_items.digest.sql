-- The digest's (id, version) of every stored CreditNotes line of tenant $1, as the simulator's
-- `credit_notes_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.credit_notes_line_items AS li
JOIN xero.credit_notes AS d ON d.tenant_id = li.tenant_id AND d.credit_note_id = li.credit_note_id
WHERE li.tenant_id = $1
