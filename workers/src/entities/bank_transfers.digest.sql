-- The digest's (id, version) of every stored bank transfer of tenant $1, as the simulator's:
-- the id, and CreatedDateUTC in ms doubled, plus 1 when deleted (a deletion moves no date).
SELECT bank_transfer_id::text AS id,
       xero.epoch_ms(created_date_utc) * 2 + (status = 'DELETED')::int AS version
FROM xero.bank_transfers
WHERE tenant_id = $1
