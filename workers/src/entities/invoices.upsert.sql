-- Stores the invoice headers of one page of Invoices. $1 = tenant id, $2 = the response body.
-- `raw` is the invoice as sent but its line items, which invoices.line_items.sql stores.
-- A page may hold the same invoice twice (the keyset cursor overlaps by a second): keep the
-- newest (then the last) of each id, since ON CONFLICT cannot touch one row twice in a statement.
-- An identical record rewrites nothing; an older version never overwrites a newer one.
-- `nullif(…, '')` lets an empty string mean "no amount" rather than fail the batch. Summaries
-- (a sweep's, `summary`) are not stored here but merged by invoices.summary.sql.
INSERT INTO xero.invoices AS t (
    tenant_id, invoice_id, type, invoice_number, reference, contact_id, status, line_amount_types,
    date, due_date, sub_total, total_tax, total, amount_due, amount_paid, amount_credited,
    currency_code, currency_rate, fully_paid_on_date, updated_date_utc, raw
)
SELECT DISTINCT ON (invoice_id)
    $1, invoice_id,
    r ->> 'Type', r ->> 'InvoiceNumber', r ->> 'Reference',
    nullif(r -> 'Contact' ->> 'ContactID', '')::uuid,
    r ->> 'Status', r ->> 'LineAmountTypes',
    xero.ms_date(r ->> 'Date'), xero.ms_date(r ->> 'DueDate'),
    nullif(r ->> 'SubTotal', '')::numeric, nullif(r ->> 'TotalTax', '')::numeric,
    nullif(r ->> 'Total', '')::numeric, nullif(r ->> 'AmountDue', '')::numeric,
    nullif(r ->> 'AmountPaid', '')::numeric, nullif(r ->> 'AmountCredited', '')::numeric,
    r ->> 'CurrencyCode', nullif(r ->> 'CurrencyRate', '')::numeric,
    xero.ms_date(r ->> 'FullyPaidOnDate'),
    updated, xero.without_lines(r, 'LineItems')
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Invoices', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'InvoiceID')::uuid AS invoice_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE ($2::jsonb -> 'summary') IS DISTINCT FROM 'true'
ORDER BY invoice_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, invoice_id) DO UPDATE SET
    type = excluded.type,
    invoice_number = excluded.invoice_number,
    reference = excluded.reference,
    contact_id = excluded.contact_id,
    status = excluded.status,
    line_amount_types = excluded.line_amount_types,
    date = excluded.date,
    due_date = excluded.due_date,
    sub_total = excluded.sub_total,
    total_tax = excluded.total_tax,
    total = excluded.total,
    amount_due = excluded.amount_due,
    amount_paid = excluded.amount_paid,
    amount_credited = excluded.amount_credited,
    currency_code = excluded.currency_code,
    currency_rate = excluded.currency_rate,
    fully_paid_on_date = excluded.fully_paid_on_date,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
