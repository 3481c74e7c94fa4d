-- The digest's (id, version) of every stored BankTransactions record of tenant $1.
SELECT bank_transaction_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.bank_transactions
WHERE tenant_id = $1
