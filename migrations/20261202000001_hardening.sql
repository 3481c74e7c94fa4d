-- Hardening: pairs Xero refuses, offline back-off, the periodic full re-read, poison jobs and
-- the indexes that keep maintenance and `status` cheap however many finished jobs there are.

-- A pair Xero refuses (a missing scope, a plan or role without the entity) is `not_entitled`,
-- shown as such and re-checked later, not a failing run.
ALTER TABLE xero.sync_progress DROP CONSTRAINT sync_progress_status_check;
ALTER TABLE xero.sync_progress ADD CONSTRAINT sync_progress_status_check
    CHECK (status IN ('idle', 'running', 'completed', 'failed', 'not_entitled'));
ALTER TABLE xero.sync_log DROP CONSTRAINT sync_log_status_check;
ALTER TABLE xero.sync_log ADD CONSTRAINT sync_log_status_check
    CHECK (status IN ('running', 'completed', 'failed', 'not_entitled'));

-- When the pair last completed a full run: scheduled runs are full again after
-- SYNC_FULL_EVERY, to catch edits Xero makes without moving UpdatedDateUTC. Pairs synced before
-- this column existed count their last success as full, so upgrading starts no re-read storm.
ALTER TABLE xero.sync_progress ADD COLUMN last_full_at timestamptz;
UPDATE xero.sync_progress SET last_full_at = last_success_at;

-- 503s in a row ("The Organisation is offline"): each one doubles the tenant's back-off; a
-- committed batch resets it.
ALTER TABLE xero.tenants ADD COLUMN offline_strikes integer NOT NULL DEFAULT 0;

-- A job whose worker dies while running it (killed for memory, a crash) is re-enqueued by
-- apalis's orphan recovery, which would hand it to the next replica to kill. After
-- xero.max_orphanings() such recoveries it is failed as poison instead, with that reason; the
-- maintenance pass then fails its run. The count is kept in the job's metadata.
CREATE FUNCTION xero.max_orphanings() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

CREATE FUNCTION xero.count_orphanings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    seen integer;
BEGIN
    IF NEW.job_type = 'xero-sync' AND NEW.status = 'Pending'
       AND OLD.status IN ('Queued', 'Running')
       AND NEW.last_result ->> 'Err' = 'Re-enqueued due to worker heartbeat timeout.' THEN
        seen := coalesce((NEW.metadata -> 'xero_sync.orphaned')::integer, 0) + 1;
        NEW.metadata := coalesce(NEW.metadata, ''::hstore)
                        || hstore('xero_sync.orphaned', seen::text);
        IF seen >= xero.max_orphanings() THEN
            NEW.status := 'Failed';
            NEW.attempts := greatest(NEW.attempts, NEW.max_attempts);
            NEW.done_at := now();
            NEW.last_result := jsonb_build_object('Err', format(
                'poison: the worker running this job died %s times (killed for memory, or a '
                'crash?); failed so it cannot take down more replicas', seen));
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER jobs_count_orphanings BEFORE UPDATE ON apalis.jobs
    FOR EACH ROW EXECUTE FUNCTION xero.count_orphanings();

-- `status` and maintenance read the unfinished jobs of the queue; finished ones are the bulk of
-- the table and must not be scanned.
CREATE INDEX jobs_xero_sync_open ON apalis.jobs (job_type) WHERE status <> 'Done';
-- Retention deletes the oldest finished jobs first.
CREATE INDEX jobs_xero_sync_done ON apalis.jobs (job_type, done_at) WHERE status = 'Done';
-- ... and the oldest finished runs.
CREATE INDEX sync_log_finished ON xero.sync_log (finished_at) WHERE status <> 'running';
