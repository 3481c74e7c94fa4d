-- Starting runs from SQL. `xero.request_sync` is the one implementation: the CLI, the planner's
-- scheduled follow-ups and operators (psql, triggers, cron) all go through it, so validation,
-- "return the active run instead of a second one" and the first job are the same everywhere.

-- The entities this deployment syncs, in registry order. Registered by the binary from its
-- registry on every start (`db::register_entities`), so SQL callers can be told what is valid.
CREATE TABLE xero.entities (
    name          text PRIMARY KEY,
    position      integer NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- Starts a run of one pair, or returns the active one. The run's cursor starts as '{}': its
-- first batch derives the starting cursor from the mode and the stored watermark, in Rust, where
-- the paging rules live.
CREATE FUNCTION xero.start_run(p_tenant uuid, p_entity text, p_full boolean, p_max_attempts integer)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    progress xero.sync_progress;
    run uuid;
    run_mode text;
BEGIN
    INSERT INTO xero.sync_progress (tenant_id, entity) VALUES (p_tenant, p_entity)
        ON CONFLICT DO NOTHING;
    -- The progress row serialises concurrent requests for the same pair.
    SELECT * INTO progress FROM xero.sync_progress
     WHERE tenant_id = p_tenant AND entity = p_entity FOR UPDATE;
    IF progress.current_run IS NOT NULL THEN
        SELECT l.run_id INTO run FROM xero.sync_log l
         WHERE l.run_id = progress.current_run AND l.status = 'running';
        IF FOUND THEN
            RETURN run;
        END IF;
    END IF;
    run_mode := CASE
        WHEN NOT p_full AND progress.last_success_at IS NOT NULL
             AND (progress.modified_after IS NOT NULL OR progress.last_offset IS NOT NULL)
        THEN 'incremental' ELSE 'full' END;
    INSERT INTO xero.sync_log (tenant_id, entity, mode, cursor)
    VALUES (p_tenant, p_entity, run_mode, '{}') RETURNING run_id INTO run;
    UPDATE xero.sync_progress SET status = 'running', mode = run_mode, current_run = run,
           updated_at = now()
     WHERE tenant_id = p_tenant AND entity = p_entity;
    -- The first batch job; its insert wakes the workers (apalis's NOTIFY trigger).
    INSERT INTO apalis.jobs (id, job_type, job, max_attempts, idempotency_key)
    VALUES (apalis.generate_ulid(), 'xero-sync',
            convert_to(json_build_object('run_id', run, 'tenant_id', p_tenant,
                                         'entity', p_entity, 'seq', 0)::text, 'UTF8'),
            p_max_attempts, run::text || ':0');
    RETURN run;
END
$$;

-- `SELECT xero.request_sync('<tenant uuid>', 'invoices')` starts an invoices run (incremental
-- when a completed run left a watermark) and returns its id, or the id of the run already
-- active. `entity => 'all'` starts every entity (one row per run); `full_sync => true` ignores
-- the watermark. Unknown tenants and entities raise an error listing what is valid.
CREATE FUNCTION xero.request_sync(tenant_id uuid, entity text, full_sync boolean DEFAULT false)
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
        FOR wanted IN SELECT e.name FROM xero.entities e ORDER BY e.position LOOP
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
