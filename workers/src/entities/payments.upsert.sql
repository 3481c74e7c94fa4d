-- Stores the payments of one batch. $1 = tenant id, $2 = the batch's records under `Payments`.
-- Of a payment sent twice keep the newest (then the last); an identical record rewrites
-- nothing and an older version never overwrites a newer one. A deleted payment arrives as an
-- update with `Status: DELETED`.
INSERT INTO xero.payments AS t (
    tenant_id, payment_id, payment_type, status, date, amount, bank_amount, currency_rate,
    reference, is_reconciled, account_id, invoice_id, credit_note_id, prepayment_id,
    overpayment_id, batch_payment_id, updated_date_utc, raw
)
SELECT DISTINCT ON (payment_id)
    $1, payment_id,
    r ->> 'PaymentType', r ->> 'Status', xero.ms_date(r ->> 'Date'),
    nullif(r ->> 'Amount', '')::numeric, nullif(r ->> 'BankAmount', '')::numeric,
    nullif(r ->> 'CurrencyRate', '')::numeric, r ->> 'Reference',
    (r ->> 'IsReconciled')::boolean,
    nullif(r -> 'Account' ->> 'AccountID', '')::uuid,
    nullif(r -> 'Invoice' ->> 'InvoiceID', '')::uuid,
    nullif(r -> 'CreditNote' ->> 'CreditNoteID', '')::uuid,
    nullif(r -> 'Prepayment' ->> 'PrepaymentID', '')::uuid,
    nullif(r -> 'Overpayment' ->> 'OverpaymentID', '')::uuid,
    nullif(r ->> 'BatchPaymentID', '')::uuid,
    updated, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Payments', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'PaymentID')::uuid AS payment_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
ORDER BY payment_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, payment_id) DO UPDATE SET
    payment_type = excluded.payment_type,
    status = excluded.status,
    date = excluded.date,
    amount = excluded.amount,
    bank_amount = excluded.bank_amount,
    currency_rate = excluded.currency_rate,
    reference = excluded.reference,
    is_reconciled = excluded.is_reconciled,
    account_id = excluded.account_id,
    invoice_id = excluded.invoice_id,
    credit_note_id = excluded.credit_note_id,
    prepayment_id = excluded.prepayment_id,
    overpayment_id = excluded.overpayment_id,
    batch_payment_id = excluded.batch_payment_id,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
