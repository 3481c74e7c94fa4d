-- Makes the stored lines of each invoice of one page exactly the lines of its stored version.
-- $1 = tenant id, $2 = the response body. Runs after invoices.upsert.sql.
--
-- Which invoices: those whose stored `raw` is the page's record (but its lines), i.e. the
-- version the header statement kept. So a stale version that the header refused does not touch the lines either,
-- and of an invoice repeated in the page only the version kept is used.
-- An invoice without a `LineItems` array (a summary fetch) keeps its stored lines: absence
-- means "not sent", not "no lines". The engine pages Invoices, and paged responses carry the
-- lines, so a present array — even an empty one — is the invoice's whole set of lines.
--
-- Each line goes in whole; a trigger keeps in `raw` only the fields no column holds.
--
-- One statement: the DELETE of lines no longer present and the upsert of the present ones act
-- on disjoint rows (a line is deleted only if its id is nowhere in the page's lines).
WITH invoice AS (
    SELECT DISTINCT ON (i.invoice_id) i.invoice_id, r -> 'LineItems' AS lines
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'Invoices', '[]')) AS e(r)
    JOIN xero.invoices AS i
      ON i.tenant_id = $1 AND i.invoice_id = (r ->> 'InvoiceID')::uuid
     AND i.raw = xero.without_lines(r, 'LineItems')
    WHERE jsonb_typeof(r -> 'LineItems') = 'array'
),
line AS (
    -- Xero always sends a LineItemID; should one be missing, the line is keyed by its invoice
    -- and position rather than dropped.
    SELECT DISTINCT ON (line_item_id) invoice.invoice_id, l.n AS line_number, l.v, line_item_id
    FROM invoice
    CROSS JOIN LATERAL jsonb_array_elements(invoice.lines) WITH ORDINALITY AS l(v, n)
    CROSS JOIN LATERAL (
        SELECT coalesce(nullif(l.v ->> 'LineItemID', '')::uuid,
                        md5(invoice.invoice_id::text || '/' || l.n)::uuid) AS line_item_id
    ) AS k
    ORDER BY line_item_id, invoice.invoice_id, l.n DESC
),
removed AS (
    DELETE FROM xero.invoice_line_items AS old
    USING invoice
    WHERE old.tenant_id = $1
      AND old.invoice_id = invoice.invoice_id
      -- NOT IN over a CTE becomes a hashed lookup; NOT EXISTS was planned as a nested loop
      -- (lines x stored lines: seconds for a page of 1,000 invoices). Ids are never NULL.
      AND old.line_item_id NOT IN (SELECT line.line_item_id FROM line)
)
INSERT INTO xero.invoice_line_items AS t (
    tenant_id, line_item_id, invoice_id, line_number, description, quantity, unit_amount,
    item_code, account_code, tax_type, tax_amount, line_amount, discount_rate, tracking, raw
)
SELECT
    $1, line_item_id, invoice_id, line_number,
    v ->> 'Description',
    nullif(v ->> 'Quantity', '')::numeric, nullif(v ->> 'UnitAmount', '')::numeric,
    v ->> 'ItemCode', v ->> 'AccountCode', v ->> 'TaxType',
    nullif(v ->> 'TaxAmount', '')::numeric, nullif(v ->> 'LineAmount', '')::numeric,
    nullif(v ->> 'DiscountRate', '')::numeric,
    v -> 'Tracking', v
FROM line
ON CONFLICT (tenant_id, line_item_id) DO UPDATE SET
    invoice_id = excluded.invoice_id,
    line_number = excluded.line_number,
    description = excluded.description,
    quantity = excluded.quantity,
    unit_amount = excluded.unit_amount,
    item_code = excluded.item_code,
    account_code = excluded.account_code,
    tax_type = excluded.tax_type,
    tax_amount = excluded.tax_amount,
    line_amount = excluded.line_amount,
    discount_rate = excluded.discount_rate,
    tracking = excluded.tracking,
    raw = excluded.raw,
    synced_at = now()
WHERE (t.invoice_id, t.line_number, t.description, t.quantity, t.unit_amount, t.item_code,
       t.account_code, t.tax_type, t.tax_amount, t.line_amount, t.discount_rate, t.tracking,
       t.raw)
      IS DISTINCT FROM
      (excluded.invoice_id, excluded.line_number, excluded.description, excluded.quantity,
       excluded.unit_amount, excluded.item_code, excluded.account_code, excluded.tax_type,
       excluded.tax_amount, excluded.line_amount, excluded.discount_rate, excluded.tracking,
       excluded.raw)
