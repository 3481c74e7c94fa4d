-- Bank transactions (spend and receive money) and their line items: `xero.bank_transactions` and
-- `xero.bank_transactions_line_items`, the shape of every transaction document (see
-- 20261202000020_documents.sql).
SELECT xero.create_document_tables('bank_transactions', 'bank_transaction_id');
