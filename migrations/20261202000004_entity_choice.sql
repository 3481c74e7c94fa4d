-- Which entities a deployment syncs. Every entity the binary knows is registered (SQL callers
-- may start a run of any of them, for any tenant); `enabled` is the deployment's choice
-- (`SYNC_ENTITIES`), and what `entity => 'all'` and a new connection's first runs start.

ALTER TABLE xero.entities ADD COLUMN enabled boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION xero.request_sync(tenant_id uuid, entity text, full_sync boolean DEFAULT false)
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
    wanted text;
BEGIN
    IF request_sync.tenant_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM xero.tenants t WHERE t.tenant_id = request_sync.tenant_id) THEN
        RAISE EXCEPTION 'unknown tenant %', coalesce(request_sync.tenant_id::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'connected tenants: ' || coalesce((SELECT string_agg(
                      t.tenant_id::text || ' (' || t.tenant_name || ')', ', ' ORDER BY t.tenant_name)
                      FROM xero.tenants t), 'none; run xero-sync connect');
    END IF;
    IF request_sync.entity = 'all' THEN
        FOR wanted IN SELECT e.name FROM xero.entities e WHERE e.enabled ORDER BY e.position LOOP
            RETURN NEXT xero.start_run(request_sync.tenant_id, wanted,
                                       coalesce(request_sync.full_sync, false), 8);
        END LOOP;
        RETURN;
    END IF;
    IF request_sync.entity IS NULL OR NOT EXISTS (
        SELECT 1 FROM xero.entities e WHERE e.name = request_sync.entity) THEN
        RAISE EXCEPTION 'unknown entity %', coalesce(quote_literal(request_sync.entity), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'valid entities: ' || coalesce((SELECT string_agg(e.name, ', '
                      ORDER BY e.position) FROM xero.entities e), 'none registered yet; run xero-sync migrate')
                      || ', or all';
    END IF;
    RETURN NEXT xero.start_run(request_sync.tenant_id, request_sync.entity,
                               coalesce(request_sync.full_sync, false), 8);
END
$$;
