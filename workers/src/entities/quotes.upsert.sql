-- Stores one batch of Quotes with their line items, as every transaction document is
-- stored (xero.upsert_documents, in 20261202000020_documents.sql). $1 = tenant id, $2 = the
-- batch's records.
SELECT xero.upsert_documents('quotes', 'quote_id', 'Quotes', 'QuoteID', 'QuoteNumber', $1, $2::jsonb)
