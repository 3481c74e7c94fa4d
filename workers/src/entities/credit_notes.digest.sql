-- The digest's (id, version) of every stored CreditNotes record of tenant $1.
SELECT credit_note_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.credit_notes
WHERE tenant_id = $1
