-- Stores one batch of CreditNotes with their line items, as every transaction document is
-- stored (xero.upsert_documents, in 20261202000020_documents.sql). $1 = tenant id, $2 = the
-- batch's records.
SELECT xero.upsert_documents('credit_notes', 'credit_note_id', 'CreditNotes', 'CreditNoteID', 'CreditNoteNumber', $1, $2::jsonb)
