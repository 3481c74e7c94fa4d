-- Stores a batch of LinkedTransactions and stamps every one met with the run (`run`), which
-- the last batch's removals read. $1 = tenant id, $2 = the records under `LinkedTransactions`
-- and the run id. Of a record sent twice the newest (then the last) is kept; an identical
-- record rewrites only its stamp; an older version never overwrites a newer one. A record that
-- comes back after being marked removed is unmarked.
INSERT INTO xero.linked_transactions AS t (tenant_id, linked_transaction_id, source_transaction_id, source_line_item_id, contact_id, target_transaction_id, target_line_item_id, status, type, source_transaction_type_code, updated_date_utc, raw, seen_run)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    nullif(r ->> 'SourceTransactionID', '')::uuid,
    nullif(r ->> 'SourceLineItemID', '')::uuid,
    nullif(r ->> 'ContactID', '')::uuid,
    nullif(r ->> 'TargetTransactionID', '')::uuid,
    nullif(r ->> 'TargetLineItemID', '')::uuid,
    r ->> 'Status',
    r ->> 'Type',
    r ->> 'SourceTransactionTypeCode',
    k.updated,
    r,
    ($2::jsonb ->> 'run')::uuid
FROM jsonb_array_elements(coalesce($2::jsonb -> 'LinkedTransactions', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'LinkedTransactionID')::uuid AS id, xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, linked_transaction_id) DO UPDATE SET
    -- The typed columns derive from `raw`: an unchanged record gets its own values back.
    source_transaction_id = excluded.source_transaction_id,
    source_line_item_id = excluded.source_line_item_id,
    contact_id = excluded.contact_id,
    target_transaction_id = excluded.target_transaction_id,
    target_line_item_id = excluded.target_line_item_id,
    status = excluded.status,
    type = excluded.type,
    source_transaction_type_code = excluded.source_transaction_type_code,
    updated_date_utc = excluded.updated_date_utc,
    synced_at = CASE WHEN t.raw IS DISTINCT FROM excluded.raw THEN now() ELSE t.synced_at END,
    raw = excluded.raw,
    seen_run = excluded.seen_run,
    removed_at = NULL
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.seen_run IS DISTINCT FROM excluded.seen_run
       OR t.removed_at IS NOT NULL)
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
