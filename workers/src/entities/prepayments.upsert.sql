-- Stores one batch of Prepayments with their line items, as every transaction document is
-- stored (xero.upsert_documents, in 20261202000020_documents.sql). $1 = tenant id, $2 = the
-- batch's records.
SELECT xero.upsert_documents('prepayments', 'prepayment_id', 'Prepayments', 'PrepaymentID', NULL, $1, $2::jsonb)
