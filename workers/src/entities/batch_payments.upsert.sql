-- Stores the batch payments of one run. $1 = tenant id, $2 = the records under
-- `BatchPayments`. Of a record sent twice keep the newest (then the last); an identical record
-- rewrites nothing and an older version never overwrites a newer one. A deleted batch arrives
-- as an update with `Status: DELETED`.
INSERT INTO xero.batch_payments AS t (
    tenant_id, batch_payment_id, type, status, date, reference, total_amount, account_id,
    is_reconciled, updated_date_utc, raw
)
SELECT DISTINCT ON (batch_payment_id)
    $1, batch_payment_id, r ->> 'Type', r ->> 'Status', xero.ms_date(r ->> 'Date'),
    r ->> 'Reference', nullif(r ->> 'TotalAmount', '')::numeric,
    nullif(r -> 'Account' ->> 'AccountID', '')::uuid, (r ->> 'IsReconciled')::boolean,
    updated, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'BatchPayments', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'BatchPaymentID')::uuid AS batch_payment_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE batch_payment_id IS NOT NULL
ORDER BY batch_payment_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, batch_payment_id) DO UPDATE SET
    type = excluded.type,
    status = excluded.status,
    date = excluded.date,
    reference = excluded.reference,
    total_amount = excluded.total_amount,
    account_id = excluded.account_id,
    is_reconciled = excluded.is_reconciled,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
