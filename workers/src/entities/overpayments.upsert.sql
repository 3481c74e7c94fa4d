-- Stores one batch of Overpayments with their line items, as every transaction document is
-- stored (xero.upsert_documents, in 20261202000020_documents.sql). $1 = tenant id, $2 = the
-- batch's records.
SELECT xero.upsert_documents('overpayments', 'overpayment_id', 'Overpayments', 'OverpaymentID', NULL, $1, $2::jsonb)
