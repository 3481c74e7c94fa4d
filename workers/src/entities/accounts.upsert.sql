-- Stores one page of Accounts. $1 = tenant id, $2 = the response body.
-- A page may hold the same account twice: keep the newest (then the last) of each id, since
-- ON CONFLICT cannot touch one row twice in a statement. An identical record rewrites nothing,
-- and an older version never overwrites a newer one (a delayed or repeated batch).
INSERT INTO xero.accounts AS t (
    tenant_id, account_id, code, name, type, status, tax_type, class, description,
    bank_account_number, currency_code, reporting_code, updated_date_utc, raw
)
SELECT DISTINCT ON (account_id)
    $1, account_id,
    r ->> 'Code', r ->> 'Name', r ->> 'Type', r ->> 'Status', r ->> 'TaxType', r ->> 'Class',
    r ->> 'Description', r ->> 'BankAccountNumber', r ->> 'CurrencyCode', r ->> 'ReportingCode',
    updated, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Accounts', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'AccountID')::uuid AS account_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
ORDER BY account_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, account_id) DO UPDATE SET
    code = excluded.code,
    name = excluded.name,
    type = excluded.type,
    status = excluded.status,
    tax_type = excluded.tax_type,
    class = excluded.class,
    description = excluded.description,
    bank_account_number = excluded.bank_account_number,
    currency_code = excluded.currency_code,
    reporting_code = excluded.reporting_code,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
