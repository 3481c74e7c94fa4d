-- The ledger, as analysts and `xero-sync verify` read it: every journal line with its journal
-- and account, the start of an organisation's financial year, and the trial balance on a date.
-- One definition for both, so what verify proves is what the views show.

CREATE VIEW xero.general_ledger AS
SELECT l.tenant_id, j.journal_id, j.journal_number, j.journal_date, j.created_date_utc,
       j.source_type, j.source_id, j.reference, l.journal_line_id, l.account_id,
       coalesce(a.code, l.account_code) AS account_code,
       coalesce(a.name, l.account_name) AS account_name,
       a.class AS account_class, a.type AS account_type, l.description,
       l.net_amount, l.gross_amount, l.tax_amount, l.tax_type, l.tracking_name,
       l.tracking_option
  FROM xero.journal_lines l
  JOIN xero.journals j ON j.tenant_id = l.tenant_id AND j.journal_id = l.journal_id
  LEFT JOIN xero.accounts a ON a.tenant_id = l.tenant_id AND a.account_id = l.account_id;

-- The first day of the financial year holding `on_date`: the day after the latest year end
-- (Organisation.FinancialYearEndDay/Month, clamped to the month's length) before it. NULL
-- when the organisation is not synced.
CREATE FUNCTION xero.financial_year_start(tenant_id uuid, on_date date) RETURNS date
LANGUAGE sql STABLE AS $$
    WITH fy AS (
        SELECT o.financial_year_end_day AS d, o.financial_year_end_month AS m
          FROM xero.organisation o
         WHERE o.tenant_id = financial_year_start.tenant_id AND o.removed_at IS NULL
           AND o.financial_year_end_day IS NOT NULL AND o.financial_year_end_month IS NOT NULL
         LIMIT 1),
    ends AS (
        SELECT least(make_date(y, fy.m, 1) + (fy.d - 1),
                     (make_date(y, fy.m, 1) + interval '1 month' - interval '1 day')::date) AS e
          FROM fy,
               generate_series(extract(year FROM on_date)::int - 1,
                               extract(year FROM on_date)::int) AS y)
    SELECT max(e) + 1 FROM ends WHERE e < on_date
$$;

-- The trial balance on `on_date`, as Xero's report's YTD columns: asset, liability and equity
-- accounts cumulative to the date; revenue and expense accounts from the start of the
-- financial year, earlier years' revenue and expenses rolled into the retained earnings
-- account (no journal posts that roll-up). One row per account with a balance.
CREATE FUNCTION xero.trial_balance(tenant_id uuid, on_date date)
RETURNS TABLE (account_id uuid, account_code text, account_name text, account_class text,
               debit numeric, credit numeric)
LANGUAGE sql STABLE AS $$
    WITH start AS (
        SELECT xero.financial_year_start(trial_balance.tenant_id, on_date) AS fy),
    retained AS (
        SELECT a.account_id FROM xero.accounts a
         WHERE a.tenant_id = trial_balance.tenant_id AND a.raw->>'SystemAccount' = 'RETAINEDEARNINGS'
         LIMIT 1),
    balances AS (
        SELECT CASE WHEN g.account_class IN ('REVENUE', 'EXPENSE') AND g.journal_date < start.fy
                    THEN (SELECT r.account_id FROM retained r)
                    ELSE g.account_id END AS account_id,
               sum(g.net_amount) AS balance
          FROM xero.general_ledger g, start
         WHERE g.tenant_id = trial_balance.tenant_id AND g.journal_date <= on_date
         GROUP BY 1)
    SELECT b.account_id, a.code, a.name, a.class,
           greatest(b.balance, 0), greatest(-b.balance, 0)
      FROM balances b
      LEFT JOIN xero.accounts a
        ON a.tenant_id = trial_balance.tenant_id AND a.account_id = b.account_id
     WHERE b.balance <> 0
$$;

-- xero.apply_grants(), run after every migration, lets xero_sync_reader read the view.
