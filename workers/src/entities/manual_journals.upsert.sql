-- Stores the manual journal headers of one batch. $1 = tenant id, $2 = the batch's records
-- under `ManualJournals`; `raw` is a journal as sent but its lines (manual_journals.lines.sql). Of a journal sent twice keep the newest (then the last); an identical
-- record rewrites nothing and an older version never overwrites a newer one. Voided and
-- deleted journals arrive as updates and keep their status.
INSERT INTO xero.manual_journals AS t (
    tenant_id, manual_journal_id, narration, date, status, line_amount_types,
    show_on_cash_basis_reports, updated_date_utc, raw
)
SELECT DISTINCT ON (manual_journal_id)
    $1, manual_journal_id,
    r ->> 'Narration', xero.ms_date(r ->> 'Date'), r ->> 'Status', r ->> 'LineAmountTypes',
    (r ->> 'ShowOnCashBasisReports')::boolean,
    updated, xero.without_lines(r, 'JournalLines')
FROM jsonb_array_elements(coalesce($2::jsonb -> 'ManualJournals', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'ManualJournalID')::uuid AS manual_journal_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
ORDER BY manual_journal_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, manual_journal_id) DO UPDATE SET
    narration = excluded.narration,
    date = excluded.date,
    status = excluded.status,
    line_amount_types = excluded.line_amount_types,
    show_on_cash_basis_reports = excluded.show_on_cash_basis_reports,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
