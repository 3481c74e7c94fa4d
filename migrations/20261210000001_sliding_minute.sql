-- A tenant's minute is also kept as a sliding window of our own calls.
--
-- The fixed window alone let a tenant exceed Xero's 60 a minute: its windows and ours start at
-- different moments (ours when a call is taken, Xero's when the first call arrives after its
-- last window ended). A tenant held back late in its window (by the app's limit, say) took the
-- rest of its minute's calls just before our window ended; they arrived after Xero's had ended
-- and opened Xero's next one, and as soon as ours ended, a whole new minute's calls followed
-- into that same window of Xero's: a 429. The app-ceiling benchmark met it for large
-- organisations while the app's limit was the bound.
--
-- Now a call is also refused while a window's worth of our calls (with the same 2 % margin) lie
-- in the last window: no span of a minute then holds more than 60 of them, wherever Xero's
-- window starts. The fixed window stays, because it is what Xero's X-MinLimit-Remaining
-- corrects (calls of the app that this budget does not see). The take times are kept on the
-- tenant's row: at most a minute's worth, trimmed at every take, and only under a minute limit
-- of at most 1,000 (Xero's is 60): a larger one stands for no limit (a simulator with its
-- limits off), where a log of every call would cost each take more than it guards.

ALTER TABLE xero.tenant_budget ADD COLUMN recent timestamptz[] NOT NULL DEFAULT '{}';

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
    -- Our calls of the last window and a margin, whatever window Xero counts them in.
    span interval := make_interval(secs => l.window_secs * 1.02);
    ours timestamptz[];
    logged boolean := l.per_minute <= 1000;
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
    ours := CASE WHEN logged
                 THEN ARRAY(SELECT t FROM unnest(b.recent) t WHERE t > now() - span ORDER BY t)
                 ELSE '{}' END;
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
    ELSIF cardinality(ours) >= l.per_minute THEN
        -- Until enough of them are a window old.
        wait_secs := extract(epoch FROM ours[cardinality(ours) - l.per_minute + 1] + span
                                         - now());
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
               day_resets_at = b.day_resets_at, tokens = bucket, tokens_at = now(),
               recent = ours
         WHERE tenant_id = p_tenant;
        RETURN;
    END IF;
    UPDATE xero.tenant_budget SET minute_used = b.minute_used + 1,
           minute_resets_at = coalesce(b.minute_resets_at,
                                       now() + make_interval(secs => l.window_secs * 1.02)),
           day_used = b.day_used + 1,
           day_resets_at = coalesce(b.day_resets_at, now() + interval '1 day'),
           tokens = bucket - 1, tokens_at = now(),
           recent = CASE WHEN logged THEN ours || now() ELSE '{}' END
     WHERE tenant_id = p_tenant;
    INSERT INTO xero.call_leases (tenant_id, expires_at)
    VALUES (p_tenant, now() + make_interval(secs => l.lease_secs))
    RETURNING lease_id INTO lease;
END
$$;

-- A call that never reached Xero is not counted by the sliding window either: its own take
-- time (its lease's) leaves the log, not whichever call was taken last.
CREATE OR REPLACE FUNCTION xero.return_unreached(p_lease bigint, p_tenant uuid, p_error text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    taken timestamptz;
BEGIN
    DELETE FROM xero.call_leases WHERE lease_id = p_lease RETURNING taken_at INTO taken;
    UPDATE xero.tenant_budget SET minute_used = greatest(0, minute_used - 1),
           day_used = greatest(0, day_used - 1), tokens = tokens + 1,
           recent = ARRAY(SELECT t FROM unnest(recent) WITH ORDINALITY AS u(t, i)
                           WHERE i IS DISTINCT FROM array_position(recent, taken) ORDER BY i)
     WHERE tenant_id = p_tenant;
    UPDATE xero.app_budget SET minute_used = greatest(0, minute_used - 1);
    UPDATE xero.tenants SET unreachable_since = coalesce(unreachable_since, now()),
           unreachable_error = left(p_error, 500)
     WHERE tenant_id = p_tenant;
END
$$;
