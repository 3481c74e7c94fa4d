-- Sales quotes and their line items: `xero.quotes` and `xero.quotes_line_items`, the shape of
-- every transaction document (see 20261202000020_documents.sql); `raw` holds the expiry date,
-- title, summary and terms.
SELECT xero.create_document_tables('quotes', 'quote_id');
