-- What `status` tells an operator beyond the runs: how many records each pair holds (counted
-- when a run completes), and an organisation whose Xero calls cannot connect.

ALTER TABLE xero.sync_progress ADD COLUMN records_stored bigint;

-- Set when a call could not connect to Xero, cleared by the next batch Xero answered.
ALTER TABLE xero.tenants
    ADD COLUMN unreachable_since timestamptz,
    ADD COLUMN unreachable_error text;

-- Gives back the lease of a call that never reached Xero (the connection could not be made):
-- Xero counted nothing, so neither do we; the organisation is marked unreachable with why.
CREATE FUNCTION xero.return_unreached(p_lease bigint, p_tenant uuid, p_error text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM xero.call_leases WHERE lease_id = p_lease;
    UPDATE xero.tenant_budget SET minute_used = greatest(0, minute_used - 1),
           day_used = greatest(0, day_used - 1), tokens = tokens + 1
     WHERE tenant_id = p_tenant;
    UPDATE xero.app_budget SET minute_used = greatest(0, minute_used - 1);
    UPDATE xero.tenants SET unreachable_since = coalesce(unreachable_since, now()),
           unreachable_error = left(p_error, 500)
     WHERE tenant_id = p_tenant;
END
$$;

-- When the last worker of each queue stopped cleanly: a clean stop removes its heartbeat row
-- (so `status` stops counting it at once), and this keeps "last seen" true afterwards.
CREATE TABLE xero.worker_exits (
    queue      text PRIMARY KEY,
    worker     text NOT NULL,
    stopped_at timestamptz NOT NULL DEFAULT now()
);
