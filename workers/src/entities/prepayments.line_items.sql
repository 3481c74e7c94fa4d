-- Makes the stored lines of each Prepayments record of one batch exactly the lines of its stored
-- version, as invoices.line_items.sql does for invoices. $1 = tenant id, $2 = the batch's
-- records. Runs after prepayments.upsert.sql. A record sent without `LineItems` keeps its lines.
WITH doc AS (
    SELECT DISTINCT ON (d.prepayment_id) d.prepayment_id, r -> 'LineItems' AS lines
    FROM jsonb_array_elements(coalesce($2::jsonb -> 'Prepayments', '[]')) AS e(r)
    JOIN xero.prepayments AS d
      ON d.tenant_id = $1 AND d.prepayment_id = (r ->> 'PrepaymentID')::uuid AND d.raw = r
    WHERE jsonb_typeof(r -> 'LineItems') = 'array'
),
line AS (
    SELECT DISTINCT ON (line_item_id) doc.prepayment_id, l.n AS line_number, l.v, line_item_id
    FROM doc
    CROSS JOIN LATERAL jsonb_array_elements(doc.lines) WITH ORDINALITY AS l(v, n)
    CROSS JOIN LATERAL (
        SELECT coalesce(nullif(l.v ->> 'LineItemID', '')::uuid,
                        md5(doc.prepayment_id::text || '/' || l.n)::uuid) AS line_item_id
    ) AS k
    ORDER BY line_item_id, doc.prepayment_id, l.n DESC
),
removed AS (
    DELETE FROM xero.prepayments_line_items AS old
    USING doc
    WHERE old.tenant_id = $1
      AND old.prepayment_id = doc.prepayment_id
      AND old.line_item_id NOT IN (SELECT line.line_item_id FROM line)
)
INSERT INTO xero.prepayments_line_items AS t (
    tenant_id, line_item_id, prepayment_id, line_number, description, quantity, unit_amount,
    item_code, account_code, account_id, tax_type, tax_amount, line_amount, tracking, raw
)
SELECT
    $1, line_item_id, prepayment_id, line_number,
    v ->> 'Description',
    nullif(v ->> 'Quantity', '')::numeric, nullif(v ->> 'UnitAmount', '')::numeric,
    v ->> 'ItemCode', v ->> 'AccountCode', nullif(v ->> 'AccountID', '')::uuid, v ->> 'TaxType',
    nullif(v ->> 'TaxAmount', '')::numeric, nullif(v ->> 'LineAmount', '')::numeric,
    v -> 'Tracking', v
FROM line
ON CONFLICT (tenant_id, line_item_id) DO UPDATE SET
    prepayment_id = excluded.prepayment_id,
    line_number = excluded.line_number,
    description = excluded.description,
    quantity = excluded.quantity,
    unit_amount = excluded.unit_amount,
    item_code = excluded.item_code,
    account_code = excluded.account_code,
    account_id = excluded.account_id,
    tax_type = excluded.tax_type,
    tax_amount = excluded.tax_amount,
    line_amount = excluded.line_amount,
    tracking = excluded.tracking,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
   OR t.prepayment_id IS DISTINCT FROM excluded.prepayment_id
   OR t.line_number IS DISTINCT FROM excluded.line_number
