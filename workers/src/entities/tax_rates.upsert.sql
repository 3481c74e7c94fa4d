-- Stores the tax rates of one run: Xero's whole set. $1 = tenant id, $2 = the records under
-- `TaxRates`. A rate that comes back after being marked removed is unmarked.
INSERT INTO xero.tax_rates AS t (
    tenant_id, tax_type, name, status, report_tax_type, display_tax_rate, effective_rate, raw
)
SELECT DISTINCT ON (tax_type)
    $1, tax_type, r ->> 'Name', r ->> 'Status', r ->> 'ReportTaxType',
    nullif(r ->> 'DisplayTaxRate', '')::numeric, nullif(r ->> 'EffectiveRate', '')::numeric, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'TaxRates', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT r ->> 'TaxType' AS tax_type) AS k
WHERE tax_type IS NOT NULL
ORDER BY tax_type, n DESC
ON CONFLICT (tenant_id, tax_type) DO UPDATE SET
    name = excluded.name,
    status = excluded.status,
    report_tax_type = excluded.report_tax_type,
    display_tax_rate = excluded.display_tax_rate,
    effective_rate = excluded.effective_rate,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL
