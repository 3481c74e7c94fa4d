-- A sweep's summaries (`summary`: Invoices read with summaryOnly=true, which leaves out
-- LineItems, Payments, HasAttachments and CISDeduction): what Xero changes without moving
-- UpdatedDateUTC (DueDate, SentToContact, …) is merged into the stored version with the same
-- UpdatedDateUTC, keeping what the summary leaves out, and the typed columns follow. A summary
-- of another version (a newer one: the next incremental run fetches it whole) or of an invoice
-- not stored is left alone: a summary never stands in for a whole invoice. Runs after
-- invoices.upsert.sql, which stores no summary. $1 = tenant id, $2 = the records.
WITH summary AS (
    SELECT DISTINCT ON (k.invoice_id) k.invoice_id, k.updated, r
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'Invoices', '[]')) WITH ORDINALITY AS e(r, n),
        LATERAL (SELECT (r ->> 'InvoiceID')::uuid AS invoice_id,
                        xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
    WHERE ($2::jsonb -> 'summary') = 'true'
    ORDER BY k.invoice_id, k.updated DESC NULLS LAST, n DESC
),
merged AS (
    SELECT t.invoice_id, t.raw || s.r AS r
    FROM summary AS s
    JOIN xero.invoices AS t ON t.tenant_id = $1 AND t.invoice_id = s.invoice_id
    WHERE t.updated_date_utc = s.updated
)
UPDATE xero.invoices AS t SET
    type = r ->> 'Type',
    invoice_number = r ->> 'InvoiceNumber',
    reference = r ->> 'Reference',
    contact_id = nullif(r -> 'Contact' ->> 'ContactID', '')::uuid,
    status = r ->> 'Status',
    line_amount_types = r ->> 'LineAmountTypes',
    date = xero.ms_date(r ->> 'Date'),
    due_date = xero.ms_date(r ->> 'DueDate'),
    sub_total = nullif(r ->> 'SubTotal', '')::numeric,
    total_tax = nullif(r ->> 'TotalTax', '')::numeric,
    total = nullif(r ->> 'Total', '')::numeric,
    amount_due = nullif(r ->> 'AmountDue', '')::numeric,
    amount_paid = nullif(r ->> 'AmountPaid', '')::numeric,
    amount_credited = nullif(r ->> 'AmountCredited', '')::numeric,
    currency_code = r ->> 'CurrencyCode',
    currency_rate = nullif(r ->> 'CurrencyRate', '')::numeric,
    fully_paid_on_date = xero.ms_date(r ->> 'FullyPaidOnDate'),
    raw = r,
    synced_at = now()
FROM merged AS m
WHERE t.tenant_id = $1 AND t.invoice_id = m.invoice_id AND t.raw IS DISTINCT FROM m.r
