-- The digest's (id, version) of every tax rate tenant $1 has now (removed ones are not), as the
-- simulator's: the lower-case TaxType, and the effective rate in ten-thousandths of a percent,
-- doubled, plus 1 when the rate is not ACTIVE (rates have no UpdatedDateUTC).
SELECT lower(tax_type) AS id,
       round(effective_rate * 10000)::bigint * 2 + (status IS DISTINCT FROM 'ACTIVE')::int
           AS version
FROM xero.tax_rates
WHERE tenant_id = $1 AND removed_at IS NULL
