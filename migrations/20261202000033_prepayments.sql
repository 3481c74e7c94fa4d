-- Prepayments and their line items: `xero.prepayments` and `xero.prepayments_line_items`, the
-- shape of every transaction document (see 20261202000020_documents.sql).
SELECT xero.create_document_tables('prepayments', 'prepayment_id');
