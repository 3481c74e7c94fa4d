-- Stores a run's Organisations. $1 = tenant id, $2 = the records under `Organisations`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.organisation AS t (tenant_id, organisation_id, name, legal_name, base_currency, country_code, version, organisation_type, class, edition, timezone, short_code, financial_year_end_day, financial_year_end_month, created_date_utc, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'Name',
    r ->> 'LegalName',
    r ->> 'BaseCurrency',
    r ->> 'CountryCode',
    r ->> 'Version',
    r ->> 'OrganisationType',
    r ->> 'Class',
    r ->> 'Edition',
    r ->> 'Timezone',
    r ->> 'ShortCode',
    (r ->> 'FinancialYearEndDay')::integer,
    (r ->> 'FinancialYearEndMonth')::integer,
    xero.ms_timestamp(r ->> 'CreatedDateUTC'),
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Organisations', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'OrganisationID')::uuid AS id) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, n DESC
ON CONFLICT (tenant_id, organisation_id) DO UPDATE SET
    name = excluded.name,
    legal_name = excluded.legal_name,
    base_currency = excluded.base_currency,
    country_code = excluded.country_code,
    version = excluded.version,
    organisation_type = excluded.organisation_type,
    class = excluded.class,
    edition = excluded.edition,
    timezone = excluded.timezone,
    short_code = excluded.short_code,
    financial_year_end_day = excluded.financial_year_end_day,
    financial_year_end_month = excluded.financial_year_end_month,
    created_date_utc = excluded.created_date_utc,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
