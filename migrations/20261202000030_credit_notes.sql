-- Credit notes (customer and supplier) and their line items: `xero.credit_notes` and
-- `xero.credit_notes_line_items`, the shape of every transaction document (see
-- 20261202000020_documents.sql).
SELECT xero.create_document_tables('credit_notes', 'credit_note_id');
