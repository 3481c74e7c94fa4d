-- Stores the CreditNotes headers of one batch. $1 = tenant id, $2 = the batch's records under
-- `CreditNotes`. Of a record sent twice keep the newest (then the last); an identical record
-- rewrites nothing and an older version never overwrites a newer one. Voided and deleted
-- records arrive as updates and keep their status.
INSERT INTO xero.credit_notes AS t (
    tenant_id, credit_note_id, type, number, reference, contact_id, status, line_amount_types, date,
    sub_total, total_tax, total, remaining_credit, currency_code, currency_rate,
    bank_account_id, is_reconciled, updated_date_utc, raw
)
SELECT DISTINCT ON (credit_note_id)
    $1, credit_note_id,
    r ->> 'Type', r ->> 'CreditNoteNumber', r ->> 'Reference',
    nullif(r -> 'Contact' ->> 'ContactID', '')::uuid,
    r ->> 'Status', r ->> 'LineAmountTypes', xero.ms_date(r ->> 'Date'),
    nullif(r ->> 'SubTotal', '')::numeric, nullif(r ->> 'TotalTax', '')::numeric,
    nullif(r ->> 'Total', '')::numeric, nullif(r ->> 'RemainingCredit', '')::numeric,
    r ->> 'CurrencyCode', nullif(r ->> 'CurrencyRate', '')::numeric,
    nullif(r -> 'BankAccount' ->> 'AccountID', '')::uuid, (r ->> 'IsReconciled')::boolean,
    updated, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'CreditNotes', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'CreditNoteID')::uuid AS credit_note_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
ORDER BY credit_note_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, credit_note_id) DO UPDATE SET
    type = excluded.type,
    number = excluded.number,
    reference = excluded.reference,
    contact_id = excluded.contact_id,
    status = excluded.status,
    line_amount_types = excluded.line_amount_types,
    date = excluded.date,
    sub_total = excluded.sub_total,
    total_tax = excluded.total_tax,
    total = excluded.total,
    remaining_credit = excluded.remaining_credit,
    currency_code = excluded.currency_code,
    currency_rate = excluded.currency_rate,
    bank_account_id = excluded.bank_account_id,
    is_reconciled = excluded.is_reconciled,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
