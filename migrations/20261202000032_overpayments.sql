-- Overpayments and their line items: `xero.overpayments` and `xero.overpayments_line_items`, the
-- shape of every transaction document (see 20261202000020_documents.sql).
SELECT xero.create_document_tables('overpayments', 'overpayment_id');
