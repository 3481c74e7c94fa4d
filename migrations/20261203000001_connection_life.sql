-- The life of a connection: an organisation is active, paused by an operator (no new work; what
-- runs finishes its batch) or disconnected (by an operator, or in Xero by a user; its data is
-- kept); a connection whose refresh token was revoked keeps its row while tenants refer to it,
-- without tokens. Xero's own id of each tenant's connection (`/connections` `id`) is kept so a
-- single organisation can be disconnected (`DELETE /connections/{id}`).

ALTER TABLE xero.tenants
    ADD COLUMN status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'disconnected')),
    ADD COLUMN status_reason text,
    ADD COLUMN status_at timestamptz,
    ADD COLUMN xero_connection_id uuid;

ALTER TABLE xero.connections DROP CONSTRAINT connections_status_check;
ALTER TABLE xero.connections ADD CONSTRAINT connections_status_check
    CHECK (status IN ('active', 'needs_reauth', 'revoked'));

-- When a held job comes due: never, in practice, but still a timestamp every client decodes.
CREATE FUNCTION xero.held_until() RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT timestamptz '9999-12-31 00:00:00+00' $$;

-- The tenant named, or an error that lists the connected ones.
CREATE FUNCTION xero.check_tenant(tenant_id uuid) RETURNS xero.tenants
LANGUAGE plpgsql STABLE AS $$
DECLARE
    hit xero.tenants;
BEGIN
    SELECT * INTO hit FROM xero.tenants t WHERE t.tenant_id = check_tenant.tenant_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown tenant %', coalesce(check_tenant.tenant_id::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'connected tenants: ' || coalesce((SELECT string_agg(
                      t.tenant_id::text || ' (' || t.tenant_name || ')', ', ' ORDER BY t.tenant_name)
                      FROM xero.tenants t), 'none; run xero-sync connect');
    END IF;
    RETURN hit;
END
$$;

-- The tenant's jobs no worker holds: queued, snoozed, scheduled, or failed with attempts left.
CREATE FUNCTION xero.waiting_jobs(tenant_id uuid) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT j.id FROM apalis.jobs j
     WHERE j.job_type = 'xero-sync' AND j.lock_by IS NULL
       AND (j.status = 'Pending' OR (j.status = 'Failed' AND j.attempts < j.max_attempts))
       AND (xero.job_payload(j.job) ->> 'tenant_id') = waiting_jobs.tenant_id::text
$$;

-- Pauses an organisation: its waiting jobs are held until it resumes (a batch running now
-- commits, and the next one finds the tenant paused and waits too). Callable from SQL.
CREATE FUNCTION xero.pause_tenant(tenant_id uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tenant xero.tenants := xero.check_tenant(pause_tenant.tenant_id);
    held integer;
BEGIN
    IF tenant.status = 'disconnected' THEN
        RAISE EXCEPTION 'tenant % is disconnected', tenant.tenant_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'reconnect it with xero-sync connect';
    END IF;
    UPDATE xero.tenants t SET status = 'paused', status_reason = 'paused by an operator',
           status_at = now(), updated_at = now()
     WHERE t.tenant_id = tenant.tenant_id AND t.status = 'active';
    UPDATE apalis.jobs SET run_at = xero.held_until()
     WHERE id IN (SELECT xero.waiting_jobs(tenant.tenant_id));
    GET DIAGNOSTICS held = ROW_COUNT;
    RETURN format('%s paused; %s waiting job(s) held', tenant.tenant_name, held);
END
$$;

-- Resumes a paused organisation: its held jobs are due at once.
CREATE FUNCTION xero.resume_tenant(tenant_id uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tenant xero.tenants := xero.check_tenant(resume_tenant.tenant_id);
    released integer;
BEGIN
    IF tenant.status = 'disconnected' THEN
        RAISE EXCEPTION 'tenant % is disconnected', tenant.tenant_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'reconnect it with xero-sync connect';
    END IF;
    UPDATE xero.tenants t SET status = 'active', status_reason = NULL, status_at = now(),
           updated_at = now()
     WHERE t.tenant_id = tenant.tenant_id AND t.status = 'paused';
    UPDATE apalis.jobs SET run_at = now()
     WHERE id IN (SELECT xero.waiting_jobs(tenant.tenant_id)) AND run_at >= xero.held_until();
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN format('%s resumed; %s job(s) due now', tenant.tenant_name, released);
END
$$;

-- Marks an organisation disconnected: its waiting jobs are killed and its active runs end with
-- the reason (no next run is scheduled); its data stays. A batch running now commits or finds
-- its run ended; nothing retries. Returns the jobs killed.
CREATE FUNCTION xero.disconnect_tenant(tenant_id uuid, reason text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    tenant xero.tenants := xero.check_tenant(disconnect_tenant.tenant_id);
    killed integer;
BEGIN
    UPDATE xero.tenants t SET status = 'disconnected', status_reason = disconnect_tenant.reason,
           status_at = now(), updated_at = now()
     WHERE t.tenant_id = tenant.tenant_id;
    UPDATE apalis.jobs SET status = 'Killed', lock_by = NULL, lock_at = NULL,
           last_result = jsonb_build_object('Err', 'tenant disconnected: ' || disconnect_tenant.reason)
     WHERE id IN (SELECT xero.waiting_jobs(tenant.tenant_id));
    GET DIAGNOSTICS killed = ROW_COUNT;
    WITH ended AS (
        UPDATE xero.sync_log l SET status = 'failed', finished_at = now(),
               error = 'tenant disconnected: ' || disconnect_tenant.reason
         WHERE l.tenant_id = tenant.tenant_id AND l.status = 'running'
     RETURNING l.run_id, l.entity)
    UPDATE xero.sync_progress p SET status = 'failed', current_run = NULL, last_run = ended.run_id,
           updated_at = now()
      FROM ended WHERE p.tenant_id = tenant.tenant_id AND p.entity = ended.entity;
    RETURN killed;
END
$$;

-- Starting a run of a paused or disconnected organisation is refused, with what to do.
CREATE OR REPLACE FUNCTION xero.request_sync(tenant_id uuid, entity text, full_sync boolean DEFAULT false)
RETURNS SETOF uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tenant xero.tenants := xero.check_tenant(request_sync.tenant_id);
    wanted text;
BEGIN
    IF tenant.status <> 'active' THEN
        RAISE EXCEPTION 'tenant % (%) is %', tenant.tenant_id, tenant.tenant_name, tenant.status
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE tenant.status WHEN 'paused' THEN 'resume it: SELECT xero.resume_tenant('''
                             || tenant.tenant_id || ''')'
                         ELSE 'reconnect it with xero-sync connect' END;
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
