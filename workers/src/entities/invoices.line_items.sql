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
    -- Each record's stored version found by its key: the lateral subquery, kept apart by
    -- OFFSET 0, is an index lookup per record whatever the table's statistics say (joined
    -- instead, a table grown since it was analysed was planned to re-read the whole batch
    -- for every stored invoice).
    SELECT DISTINCT ON (i.invoice_id) i.invoice_id, e.r -> 'LineItems' AS lines
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'Invoices', '[]')) AS e(r)
    CROSS JOIN LATERAL (
        SELECT s.invoice_id FROM xero.invoices AS s
        WHERE s.tenant_id = $1 AND s.invoice_id = (e.r ->> 'InvoiceID')::uuid
          AND s.raw = xero.without_lines(e.r, 'LineItems')
        OFFSET 0
    ) AS i
    WHERE jsonb_typeof(e.r -> 'LineItems') = 'array'
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
    -- The stored lines of those invoices, by an index lookup per invoice (as above), deleted
    -- by their row address when their id is nowhere in the batch's lines. NOT IN over a CTE
    -- becomes a hashed lookup; ids are never NULL.
    DELETE FROM xero.invoice_line_items AS old
    WHERE old.ctid = ANY (ARRAY(
        SELECT stored.ctid
        FROM invoice
        CROSS JOIN LATERAL (
            SELECT l.ctid, l.line_item_id FROM xero.invoice_line_items AS l
            WHERE l.tenant_id = $1 AND l.invoice_id = invoice.invoice_id
            OFFSET 0
        ) AS stored
        WHERE stored.line_item_id NOT IN (SELECT line.line_item_id FROM line)))
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
