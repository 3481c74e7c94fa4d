-- The digest's (id, version) of every stored BankTransactions line of tenant $1, as the simulator's
-- `bank_transactions_line_items` digest: the line's id, and its record's UpdatedDateUTC.
SELECT li.line_item_id::text AS id, xero.epoch_ms(d.updated_date_utc) AS version
FROM xero.bank_transactions_line_items AS li
JOIN xero.bank_transactions AS d ON d.tenant_id = li.tenant_id AND d.bank_transaction_id = li.bank_transaction_id
WHERE li.tenant_id = $1
