-- One Xero budget shared by every replica: per tenant the calls in flight, the minute window
-- and the day window, per app the minute window; and the response bytes each tenant and entity
-- cost per month (Xero meters egress since March 2026, but no header reports it).
--
-- Each call takes a lease before it is sent (xero.take_call) and gives it back with what the
-- response said (xero.return_call). The counters are Xero's own when a response carries them
-- (X-MinLimit-Remaining and friends, read against the configured limits, which must be the
-- app's real ones), ours in between; windows start with their first call, as Xero's fixed
-- windows do, and a 429's Retry-After corrects the estimate of when they end.

CREATE TABLE xero.tenant_budget (
    tenant_id        uuid PRIMARY KEY REFERENCES xero.tenants ON DELETE CASCADE,
    minute_used      integer NOT NULL DEFAULT 0,
    minute_resets_at timestamptz,
    day_used         integer NOT NULL DEFAULT 0,
    day_resets_at    timestamptz,
    -- Pacing within the minute: a bucket of `burst` calls refilled at the minute's rate, so a
    -- tenant with much to fetch spreads its calls over the window instead of spending them all
    -- in its first seconds (and loading the database while other tenants sync), and a small
    -- one still gets its few calls at once.
    tokens           float8,
    tokens_at        timestamptz
);

-- Exactly one row: the app's minute window across all tenants, and a block after an
-- `appminute` 429, which pauses every tenant.
CREATE TABLE xero.app_budget (
    app              boolean PRIMARY KEY DEFAULT true CHECK (app),
    minute_used      integer NOT NULL DEFAULT 0,
    minute_resets_at timestamptz,
    blocked_until    timestamptz
);
INSERT INTO xero.app_budget DEFAULT VALUES;

-- A call in flight. A replica that dies mid-call leaves its lease to expire.
CREATE TABLE xero.call_leases (
    lease_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX call_leases_tenant ON xero.call_leases (tenant_id, expires_at);

-- Bytes Xero sent, per tenant, entity and calendar month (UTC): on the wire (compressed when
-- Xero compressed them) and decoded.
CREATE TABLE xero.egress (
    tenant_id     uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    month         date NOT NULL,
    entity        text NOT NULL,
    calls         bigint NOT NULL DEFAULT 0,
    wire_bytes    bigint NOT NULL DEFAULT 0,
    decoded_bytes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month, entity)
);

-- The limits a call is taken under (from the worker's configuration).
CREATE TYPE xero.call_limits AS (
    concurrent     integer,  -- calls in flight per tenant
    per_minute     integer,  -- calls per tenant per minute window
    per_day        integer,  -- calls per tenant per day window
    app_per_minute integer,  -- calls per app per minute window
    window_secs    float8,   -- length of the minute window (60 at Xero)
    burst          integer,  -- calls a tenant may make at once before being paced
    day_reserve    float8,   -- share of the day kept for incremental runs
    lease_secs     float8,   -- how long a lease outlives a call that never returns
    egress_budget  bigint,   -- monthly wire bytes per tenant for full runs (NULL: no limit)
    app_egress     bigint    -- monthly wire bytes per app for full runs (NULL: no limit)
);

-- Takes a call for the tenant, or says how long to wait and why. `full`: the call belongs to a
-- full run, which yields to incremental ones when the day or the month's egress runs low.
-- Locks the tenant's row, then the app's, always in that order.
CREATE FUNCTION xero.take_call(p_tenant uuid, p_full boolean, l xero.call_limits,
                               OUT lease bigint, OUT wait_secs float8, OUT reason text)
LANGUAGE plpgsql AS $$
DECLARE
    b xero.tenant_budget;
    a xero.app_budget;
    blocked timestamptz;
    in_flight integer;
    bucket float8;
    month_bytes bigint;
    next_month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                              + interval '1 month';
BEGIN
    INSERT INTO xero.tenant_budget (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
    SELECT * INTO b FROM xero.tenant_budget WHERE tenant_id = p_tenant FOR UPDATE;
    IF b.minute_resets_at <= now() THEN
        b.minute_used := 0; b.minute_resets_at := NULL;
    END IF;
    IF b.day_resets_at <= now() THEN
        b.day_used := 0; b.day_resets_at := NULL;
    END IF;
    SELECT * INTO a FROM xero.app_budget FOR UPDATE;
    IF a.minute_resets_at <= now() THEN
        a.minute_used := 0; a.minute_resets_at := NULL;
    END IF;
    SELECT t.blocked_until INTO blocked FROM xero.tenants t WHERE t.tenant_id = p_tenant;
    IF blocked > now() THEN
        wait_secs := extract(epoch FROM blocked - now()); reason := 'tenant blocked by Xero';
    ELSIF a.blocked_until > now() THEN
        wait_secs := extract(epoch FROM a.blocked_until - now());
        reason := 'app rate-limited by Xero (appminute)';
    ELSIF b.day_used >= l.per_day THEN
        wait_secs := extract(epoch FROM coalesce(b.day_resets_at, now() + interval '1 hour') - now());
        reason := 'day limit reached';
    ELSIF p_full AND b.day_used >= l.per_day * (1 - l.day_reserve) THEN
        wait_secs := extract(epoch FROM coalesce(b.day_resets_at, now() + interval '1 hour') - now());
        reason := 'the rest of the day is kept for incremental runs';
    ELSIF b.minute_used >= l.per_minute THEN
        wait_secs := extract(epoch FROM coalesce(b.minute_resets_at, now() + interval '1 second') - now());
        reason := 'minute limit reached';
    ELSIF a.minute_used >= l.app_per_minute THEN
        wait_secs := extract(epoch FROM coalesce(a.minute_resets_at, now() + interval '1 second') - now());
        reason := 'app minute limit reached';
    END IF;
    IF reason IS NULL AND p_full AND (l.egress_budget IS NOT NULL OR l.app_egress IS NOT NULL) THEN
        SELECT coalesce(sum(wire_bytes), 0) INTO month_bytes FROM xero.egress
         WHERE tenant_id = p_tenant AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date;
        IF month_bytes >= l.egress_budget THEN
            wait_secs := extract(epoch FROM next_month - now());
            reason := 'the tenant''s monthly egress budget is spent; full runs wait for the next month';
        ELSIF l.app_egress IS NOT NULL AND (SELECT coalesce(sum(wire_bytes), 0) FROM xero.egress
                WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date) >= l.app_egress THEN
            wait_secs := extract(epoch FROM next_month - now());
            reason := 'the app''s monthly egress budget is spent; full runs wait for the next month';
        END IF;
    END IF;
    bucket := least(l.burst, coalesce(b.tokens, l.burst)
                    + extract(epoch FROM now() - coalesce(b.tokens_at, now()))
                      * l.per_minute / l.window_secs);
    IF reason IS NULL AND bucket < 1 THEN
        wait_secs := (1 - bucket) * l.window_secs / l.per_minute;
        reason := 'paced within the minute';
    END IF;
    IF reason IS NULL THEN
        DELETE FROM xero.call_leases WHERE tenant_id = p_tenant AND expires_at <= now();
        SELECT count(*) INTO in_flight FROM xero.call_leases WHERE tenant_id = p_tenant;
        IF in_flight >= l.concurrent THEN
            -- A call in flight returns within the call timeout; look again shortly.
            wait_secs := 0.1; reason := 'concurrent call limit reached';
        END IF;
    END IF;
    IF reason IS NOT NULL THEN
        wait_secs := greatest(wait_secs, 0.01);
        UPDATE xero.tenant_budget SET minute_used = b.minute_used,
               minute_resets_at = b.minute_resets_at, day_used = b.day_used,
               day_resets_at = b.day_resets_at, tokens = bucket, tokens_at = now()
         WHERE tenant_id = p_tenant;
        RETURN;
    END IF;
    -- A window is reckoned from our first call of it, a moment before Xero counts that call:
    -- ending ours 2 % late keeps the next window's first calls from arriving before Xero's ends.
    UPDATE xero.tenant_budget SET minute_used = b.minute_used + 1,
           minute_resets_at = coalesce(b.minute_resets_at,
                                       now() + make_interval(secs => l.window_secs * 1.02)),
           day_used = b.day_used + 1,
           day_resets_at = coalesce(b.day_resets_at, now() + interval '1 day'),
           tokens = bucket - 1, tokens_at = now()
     WHERE tenant_id = p_tenant;
    UPDATE xero.app_budget SET minute_used = a.minute_used + 1,
           minute_resets_at = coalesce(a.minute_resets_at,
                                       now() + make_interval(secs => l.window_secs * 1.02));
    INSERT INTO xero.call_leases (tenant_id, expires_at)
    VALUES (p_tenant, now() + make_interval(secs => l.lease_secs))
    RETURNING lease_id INTO lease;
END
$$;

-- Gives a call back: its lease ends, the counters take what Xero's headers say was used (Xero
-- counts every call, ours included, and knows when its windows reset), a 429 tells when its
-- window ends (and an `appminute` one pauses every tenant), and the response's bytes are added
-- to the month. Without headers (no response) the counters keep ours. A response overtaken by
-- a later one may undercount by the calls in flight, at most the concurrent limit.
CREATE FUNCTION xero.return_call(p_lease bigint, p_tenant uuid, p_entity text, p_status integer,
                                 p_min_remaining integer, p_day_remaining integer,
                                 p_app_remaining integer, p_problem text, p_retry_after float8,
                                 p_wire bigint, p_decoded bigint, l xero.call_limits)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    retry_at timestamptz := now() + make_interval(secs => coalesce(p_retry_after, 1));
BEGIN
    DELETE FROM xero.call_leases WHERE lease_id = p_lease;
    UPDATE xero.tenant_budget SET
           minute_used = CASE WHEN p_status = 429 AND p_problem = 'minute' THEN l.per_minute
                              WHEN p_min_remaining IS NOT NULL
                              THEN greatest(0, l.per_minute - p_min_remaining)
                              ELSE minute_used END,
           minute_resets_at = CASE WHEN p_status = 429 AND p_problem = 'minute' THEN retry_at
                                   ELSE minute_resets_at END,
           day_used = CASE WHEN p_status = 429 AND p_problem = 'day' THEN l.per_day
                           WHEN p_day_remaining IS NOT NULL
                           THEN greatest(0, l.per_day - p_day_remaining)
                           ELSE day_used END,
           day_resets_at = CASE WHEN p_status = 429 AND p_problem = 'day' THEN retry_at
                                ELSE day_resets_at END
     WHERE tenant_id = p_tenant;
    UPDATE xero.app_budget SET
           minute_used = CASE WHEN p_status = 429 AND p_problem = 'appminute' THEN l.app_per_minute
                              WHEN p_app_remaining IS NOT NULL
                              THEN greatest(0, l.app_per_minute - p_app_remaining)
                              ELSE minute_used END,
           minute_resets_at = CASE WHEN p_status = 429 AND p_problem = 'appminute' THEN retry_at
                                   ELSE minute_resets_at END,
           blocked_until = CASE WHEN p_status = 429 AND p_problem = 'appminute'
                                THEN greatest(blocked_until, retry_at) ELSE blocked_until END;
    IF p_wire IS NOT NULL THEN
        INSERT INTO xero.egress (tenant_id, month, entity, calls, wire_bytes, decoded_bytes)
        VALUES (p_tenant, date_trunc('month', now() AT TIME ZONE 'UTC')::date, p_entity, 1,
                p_wire, coalesce(p_decoded, p_wire))
        ON CONFLICT (tenant_id, month, entity) DO UPDATE SET
            calls = xero.egress.calls + 1,
            wire_bytes = xero.egress.wire_bytes + excluded.wire_bytes,
            decoded_bytes = xero.egress.decoded_bytes + excluded.decoded_bytes;
    END IF;
END
$$;

-- A batch's claim priority by its run's mode: incremental runs go first (the engine's
-- `queue::priority` says the same).
CREATE FUNCTION xero.run_priority(mode text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN mode = 'incremental' THEN 10 ELSE 0 END $$;

-- Claim order: incremental runs before full re-reads (apalis claims by priority, then by how
-- long a job has waited). The first batch of a run gets its run's priority here; later batches
-- get it from the engine.
CREATE OR REPLACE FUNCTION xero.start_run(p_tenant uuid, p_entity text, p_full boolean, p_max_attempts integer)
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
    INSERT INTO apalis.jobs (id, job_type, job, max_attempts, idempotency_key, priority)
    VALUES (apalis.generate_ulid(), 'xero-sync',
            convert_to(json_build_object('run_id', run, 'tenant_id', p_tenant,
                                         'entity', p_entity, 'seq', 0)::text, 'UTF8'),
            p_max_attempts, run::text || ':0', xero.run_priority(run_mode));
    RETURN run;
END
$$;
