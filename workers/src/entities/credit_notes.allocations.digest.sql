-- The digest's (id, version) of every stored allocation of tenant $1 — of credit notes,
-- overpayments and prepayments alike — as the simulator's `allocations` digest: the
-- AllocationID, and its document's UpdatedDateUTC.
SELECT allocation_id::text AS id, xero.epoch_ms(updated_date_utc) AS version
FROM xero.allocations
WHERE tenant_id = $1 AND allocation_id IS NOT NULL
