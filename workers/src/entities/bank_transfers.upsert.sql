-- Stores the bank transfers of one run. $1 = tenant id, $2 = the records under
-- `BankTransfers`. Transfers have no UpdatedDateUTC: the last of a record sent twice is kept,
-- and an identical record rewrites nothing. A deleted transfer arrives (includeDeleted=true)
-- with `Status: DELETED`.
INSERT INTO xero.bank_transfers AS t (
    tenant_id, bank_transfer_id, date, amount, currency_rate, reference, status,
    from_bank_account_id, to_bank_account_id, from_bank_transaction_id, to_bank_transaction_id,
    created_date_utc, raw
)
SELECT DISTINCT ON (bank_transfer_id)
    $1, bank_transfer_id, xero.ms_date(r ->> 'Date'), nullif(r ->> 'Amount', '')::numeric,
    nullif(r ->> 'CurrencyRate', '')::numeric, r ->> 'Reference', r ->> 'Status',
    nullif(r -> 'FromBankAccount' ->> 'AccountID', '')::uuid,
    nullif(r -> 'ToBankAccount' ->> 'AccountID', '')::uuid,
    nullif(r ->> 'FromBankTransactionID', '')::uuid, nullif(r ->> 'ToBankTransactionID', '')::uuid,
    xero.ms_timestamp(r ->> 'CreatedDateUTC'), r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'BankTransfers', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'BankTransferID')::uuid AS bank_transfer_id) AS k
WHERE bank_transfer_id IS NOT NULL
ORDER BY bank_transfer_id, n DESC
ON CONFLICT (tenant_id, bank_transfer_id) DO UPDATE SET
    date = excluded.date,
    amount = excluded.amount,
    currency_rate = excluded.currency_rate,
    reference = excluded.reference,
    status = excluded.status,
    from_bank_account_id = excluded.from_bank_account_id,
    to_bank_account_id = excluded.to_bank_account_id,
    from_bank_transaction_id = excluded.from_bank_transaction_id,
    to_bank_transaction_id = excluded.to_bank_transaction_id,
    created_date_utc = excluded.created_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
