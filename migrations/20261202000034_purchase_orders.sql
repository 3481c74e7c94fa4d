-- Purchase orders and their line items: `xero.purchase_orders` and
-- `xero.purchase_orders_line_items`, the shape of every transaction document (see
-- 20261202000020_documents.sql).
SELECT xero.create_document_tables('purchase_orders', 'purchase_order_id');
