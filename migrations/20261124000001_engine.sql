-- The engine's tables: connections and their tokens, tenants, per-(tenant, entity) progress and
-- the log of runs. Entity data tables come in their own migrations, one per entity.
-- Runs after apalis's own migrations (see db::migrate), so it may guard apalis.jobs.

CREATE SCHEMA IF NOT EXISTS xero;

-- Xero's JSON dates: "/Date(1551981568133+0000)/" (an instant in epoch milliseconds; the offset
-- is display-only) and the date-only fields encoded as midnight UTC of the calendar date.
CREATE FUNCTION xero.ms_timestamp(value text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT to_timestamp((substring(value FROM '^/Date\((-?[0-9]+)')::numeric) / 1000.0)
$$;

CREATE FUNCTION xero.ms_date(value text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT (xero.ms_timestamp(value) AT TIME ZONE 'UTC')::date
$$;

-- The digest's version of a timestamp: epoch milliseconds.
CREATE FUNCTION xero.epoch_ms(value timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT floor(extract(epoch FROM value) * 1000)::bigint
$$;

-- One row per OAuth connection (an authorisation of this app by a Xero user, or a custom
-- connection). A connection whose refresh token was refused needs a person to connect again.
CREATE TABLE xero.connections (
    connection_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    grant_type    text NOT NULL CHECK (grant_type IN ('authorization_code', 'client_credentials')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth')),
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The token set of a connection. Refreshed under SELECT … FOR UPDATE on this row, so exactly one
-- replica refreshes and the rotated refresh token is stored in the same transaction.
CREATE TABLE xero.tokens (
    connection_id  uuid PRIMARY KEY REFERENCES xero.connections ON DELETE CASCADE,
    access_token   text NOT NULL,
    refresh_token  text,
    expires_at     timestamptz NOT NULL,
    scopes         text NOT NULL DEFAULT '',
    refreshed_at   timestamptz NOT NULL DEFAULT now(),
    refresh_count  bigint NOT NULL DEFAULT 0
);

-- The organisations reachable through a connection (Xero's /connections).
CREATE TABLE xero.tenants (
    tenant_id      uuid PRIMARY KEY,
    connection_id  uuid NOT NULL REFERENCES xero.connections ON DELETE CASCADE,
    tenant_name    text NOT NULL,
    tenant_type    text NOT NULL DEFAULT 'ORGANISATION',
    blocked_until  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per (tenant, entity): where the last completed run left the watermark, and which run
-- is active now.
CREATE TABLE xero.sync_progress (
    tenant_id       uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    entity          text NOT NULL,
    status          text NOT NULL DEFAULT 'idle'
                    CHECK (status IN ('idle', 'running', 'completed', 'failed')),
    mode            text CHECK (mode IN ('full', 'incremental')),
    modified_after  timestamptz,   -- greatest UpdatedDateUTC committed (Xero's clock)
    last_offset     bigint,        -- greatest JournalNumber committed (offset entities)
    current_run     uuid,
    last_run        uuid,
    last_success_at timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entity)
);

-- One row per run of a (tenant, entity). The cursor of a running run lives here and advances in
-- the same transaction as the rows of each batch.
CREATE TABLE xero.sync_log (
    run_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    entity       text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('full', 'incremental')),
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'completed', 'failed')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    batches      integer NOT NULL DEFAULT 0,
    pages        integer NOT NULL DEFAULT 0,
    api_calls    integer NOT NULL DEFAULT 0,
    records      bigint NOT NULL DEFAULT 0,
    cursor       jsonb NOT NULL DEFAULT '{}',
    high_water   timestamptz,      -- greatest UpdatedDateUTC committed by this run
    error        text
);
CREATE INDEX sync_log_tenant_entity ON xero.sync_log (tenant_id, entity, started_at DESC);
-- At most one active run per (tenant, entity).
CREATE UNIQUE INDEX sync_log_one_running ON xero.sync_log (tenant_id, entity)
    WHERE status = 'running';

-- apalis kills a worker on a row it cannot decode (a non-ULID id, a NULL inside the metadata
-- hstore). Refuse such rows at the door, whoever inserts them. NOT VALID: existing rows are not
-- re-checked, new ones are.
ALTER TABLE apalis.jobs ADD CONSTRAINT jobs_id_is_ulid
    CHECK (id ~ '^[0-9A-HJKMNP-TV-Z]{26}$') NOT VALID;
ALTER TABLE apalis.jobs ADD CONSTRAINT jobs_metadata_no_null_values
    CHECK (metadata IS NULL OR array_position(avals(metadata), NULL) IS NULL) NOT VALID;
