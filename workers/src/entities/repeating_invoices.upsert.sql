-- Stores the repeating invoice templates of one run: Xero's whole set. $1 = tenant id, $2 =
-- the records under `RepeatingInvoices`. A template that comes back after being marked removed
-- is unmarked.
INSERT INTO xero.repeating_invoices AS t (
    tenant_id, repeating_invoice_id, type, status, contact_id, reference, schedule, sub_total,
    total_tax, total, currency_code, raw
)
SELECT DISTINCT ON (repeating_invoice_id)
    $1, repeating_invoice_id, r ->> 'Type', r ->> 'Status',
    nullif(r -> 'Contact' ->> 'ContactID', '')::uuid, r ->> 'Reference', r -> 'Schedule',
    nullif(r ->> 'SubTotal', '')::numeric, nullif(r ->> 'TotalTax', '')::numeric,
    nullif(r ->> 'Total', '')::numeric, r ->> 'CurrencyCode', r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'RepeatingInvoices', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'RepeatingInvoiceID')::uuid AS repeating_invoice_id) AS k
WHERE repeating_invoice_id IS NOT NULL
ORDER BY repeating_invoice_id, n DESC
ON CONFLICT (tenant_id, repeating_invoice_id) DO UPDATE SET
    type = excluded.type,
    status = excluded.status,
    contact_id = excluded.contact_id,
    reference = excluded.reference,
    schedule = excluded.schedule,
    sub_total = excluded.sub_total,
    total_tax = excluded.total_tax,
    total = excluded.total,
    currency_code = excluded.currency_code,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL
