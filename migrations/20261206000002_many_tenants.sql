-- What hundreds of organisations syncing at once through one app found (the app-ceiling
-- benchmark): every call of every replica queued behind one row, and finding a pair's
-- scheduled run read every pending job.

-- Taking and giving back a call. The budget's counters are advisory (Xero's headers correct
-- them on the next answer, and a lease outlives a crash), so these transactions do not wait
-- for their commit to reach the disk: that wait, made while holding the app's row, capped
-- every replica together at a few hundred calls a second. The app's row is now locked only
-- by the one statement that counts the call, last, and a call given back touches it only
-- when Xero counted more than we did (another process of the app) or refused the app.
CREATE OR REPLACE FUNCTION xero.take_call(p_tenant uuid, p_full boolean, l xero.call_limits,
                                          OUT lease bigint, OUT wait_secs float8,
                                          OUT reason text)
LANGUAGE plpgsql AS $$
DECLARE
    b xero.tenant_budget;
    a xero.app_budget;
    blocked timestamptz;
    in_flight integer;
    bucket float8;
    month_bytes bigint;
    counted boolean;
    next_month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                              + interval '1 month';
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO xero.tenant_budget (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
    SELECT * INTO b FROM xero.tenant_budget WHERE tenant_id = p_tenant FOR UPDATE;
    IF b.minute_resets_at <= now() THEN
        b.minute_used := 0; b.minute_resets_at := NULL;
    END IF;
    IF b.day_resets_at <= now() THEN
        b.day_used := 0; b.day_resets_at := NULL;
    END IF;
    -- The app's row as it stands, unlocked: the count that decides is taken at the end.
    SELECT * INTO a FROM xero.app_budget;
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
    IF reason IS NULL THEN
        -- The app's count, taken atomically: the window is reckoned from our first call of
        -- it, a moment before Xero counts that call, so ending ours 2 % late keeps the next
        -- window's first calls from arriving before Xero's ends.
        UPDATE xero.app_budget SET
               minute_used = CASE WHEN minute_resets_at <= now() THEN 1 ELSE minute_used + 1 END,
               minute_resets_at = CASE WHEN minute_resets_at IS NULL OR minute_resets_at <= now()
                                       THEN now() + make_interval(secs => l.window_secs * 1.02)
                                       ELSE minute_resets_at END
         WHERE minute_used < l.app_per_minute OR minute_resets_at <= now()
        RETURNING true INTO counted;
        IF counted IS NULL THEN
            SELECT * INTO a FROM xero.app_budget;
            wait_secs := extract(epoch FROM coalesce(a.minute_resets_at, now() + interval '1 second') - now());
            reason := 'app minute limit reached';
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
    UPDATE xero.tenant_budget SET minute_used = b.minute_used + 1,
           minute_resets_at = coalesce(b.minute_resets_at,
                                       now() + make_interval(secs => l.window_secs * 1.02)),
           day_used = b.day_used + 1,
           day_resets_at = coalesce(b.day_resets_at, now() + interval '1 day'),
           tokens = bucket - 1, tokens_at = now()
     WHERE tenant_id = p_tenant;
    INSERT INTO xero.call_leases (tenant_id, expires_at)
    VALUES (p_tenant, now() + make_interval(secs => l.lease_secs))
    RETURNING lease_id INTO lease;
END
$$;

CREATE OR REPLACE FUNCTION xero.return_call(p_lease bigint, p_tenant uuid, p_entity text,
                                            p_status integer, p_min_remaining integer,
                                            p_day_remaining integer, p_app_remaining integer,
                                            p_problem text, p_retry_after float8,
                                            p_wire bigint, p_decoded bigint,
                                            l xero.call_limits)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    retry_at timestamptz := now() + make_interval(secs => coalesce(p_retry_after, 1));
    app_limited boolean := p_status = 429 AND p_problem = 'appminute';
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
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
    -- The app's row only when Xero counted more than we did, or refused the app: a row not
    -- matched is not locked, so the usual answer passes by without waiting on other calls.
    UPDATE xero.app_budget SET
           minute_used = CASE WHEN app_limited THEN l.app_per_minute
                              ELSE greatest(minute_used, l.app_per_minute - p_app_remaining) END,
           minute_resets_at = CASE WHEN app_limited THEN retry_at ELSE minute_resets_at END,
           blocked_until = CASE WHEN app_limited THEN greatest(blocked_until, retry_at)
                                ELSE blocked_until END
     WHERE app_limited
        OR (p_app_remaining IS NOT NULL
            AND l.app_per_minute - p_app_remaining > minute_used
            AND minute_resets_at > now());
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

-- A pair's open scheduled run is found by the prefix of its key (`next:<tenant>:<entity>:`):
-- the index answers that, where `starts_with` read every pending job — once per finished run,
-- and once per pair in every maintenance pass. The status is part of the indexed value, not a
-- condition beside it, so no other index of the table can look like the better way to it.
CREATE FUNCTION xero.open_schedule(status text, idempotency_key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN status <> 'Done'
                THEN substring(idempotency_key FROM '^next:[^:]*:[^:]*:') END
$$;

CREATE INDEX jobs_open_schedules ON apalis.jobs (xero.open_schedule(status, idempotency_key));
