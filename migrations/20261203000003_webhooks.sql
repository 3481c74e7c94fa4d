-- Webhooks and the schedule that learns.
--
-- Every delivery Xero makes to `xero-sync webhooks` that passes its signature check is stored
-- before the receiver answers 200 (`webhook_deliveries`), with its events (`webhook_events`,
-- deduplicated: Xero may deliver an event twice). A worker turns a tenant's unhandled events
-- into fetches (`IDs=` where Xero has it, an early incremental run where not) in the same
-- transaction that marks them handled.
--
-- Each (tenant, entity) keeps its own interval: it backs off while runs find nothing new and
-- returns to SYNC_INTERVAL when they do; entities Xero notifies about are polled only as a
-- safety net while webhooks are healthy.

CREATE TABLE xero.webhook_deliveries (
    delivery_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    timestamptz NOT NULL DEFAULT now(),
    -- An intent-to-receive probe (no events, sequence numbers 0) or a delivery of events.
    intent         boolean NOT NULL,
    first_sequence bigint,
    last_sequence  bigint,
    events         integer NOT NULL,
    duplicates     integer NOT NULL DEFAULT 0,
    -- The delivery's trace, which the jobs following its events join.
    traceparent    text
);
CREATE INDEX webhook_deliveries_received ON xero.webhook_deliveries (received_at);

CREATE TABLE xero.webhook_events (
    event_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES xero.webhook_deliveries ON DELETE CASCADE,
    tenant_id     uuid NOT NULL,
    -- Whether the tenant was connected when the event arrived (unknown ones are kept, not used).
    known_tenant  boolean NOT NULL,
    category      text NOT NULL,
    event_type    text NOT NULL,
    resource_id   uuid NOT NULL,
    event_date    timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    -- A worker turning events into fetches claims them first (the calls happen outside any
    -- transaction); a claim older than a few minutes is a crashed worker's, and lapses.
    claimed_at    timestamptz,
    handled_at    timestamptz,
    outcome       text,
    raw           jsonb NOT NULL,
    UNIQUE (tenant_id, category, resource_id, event_date, event_type)
);
CREATE INDEX webhook_events_unhandled ON xero.webhook_events (tenant_id, category)
    WHERE handled_at IS NULL AND known_tenant;

ALTER TABLE xero.sync_progress
    ADD COLUMN interval_secs  double precision,
    ADD COLUMN interval_reason text,
    ADD COLUMN unchanged_runs integer NOT NULL DEFAULT 0;
ALTER TABLE xero.sync_log ADD COLUMN changed boolean;
