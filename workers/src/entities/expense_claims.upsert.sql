-- Stores a run's ExpenseClaims. $1 = tenant id, $2 = the records under `ExpenseClaims`. Of a
-- record sent twice the newest (then the last) is kept; an identical record rewrites nothing;
-- an older version never overwrites a newer one.
INSERT INTO xero.expense_claims AS t (tenant_id, expense_claim_id, status, user_id, total, amount_due, amount_paid, payment_due_date, reporting_date, updated_date_utc, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Status',
    nullif(r -> 'User' ->> 'UserID', '')::uuid,
    nullif(r ->> 'Total', '')::numeric,
    nullif(r ->> 'AmountDue', '')::numeric,
    nullif(r ->> 'AmountPaid', '')::numeric,
    xero.ms_date(r ->> 'PaymentDueDate'),
    xero.ms_date(r ->> 'ReportingDate'),
    k.updated,
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'ExpenseClaims', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'ExpenseClaimID')::uuid AS id, xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, expense_claim_id) DO UPDATE SET
    status = excluded.status,
    user_id = excluded.user_id,
    total = excluded.total,
    amount_due = excluded.amount_due,
    amount_paid = excluded.amount_paid,
    payment_due_date = excluded.payment_due_date,
    reporting_date = excluded.reporting_date,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
