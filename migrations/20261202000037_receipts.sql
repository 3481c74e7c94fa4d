-- Receipts of Classic Expenses (deprecated by Xero; synced only when SYNC_ENTITIES names
-- them) and their line items: `xero.receipts` and `xero.receipts_line_items`, the shape of
-- every transaction document (see 20261202000020_documents.sql); `raw` holds the user.
SELECT xero.create_document_tables('receipts', 'receipt_id');
