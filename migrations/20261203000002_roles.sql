-- Least privilege: two roles without login or password, to be granted to the people and tools
-- that need them (`GRANT xero_sync_reader TO metabase;`):
--   xero_sync_reader    reads the synced data and the views over it — what analysts and BI tools
--                       get — and nothing of the connections, their tokens or the queue;
--   xero_sync_operator  also starts syncs (`xero.request_sync`), pauses and resumes
--                       organisations, and reads the state of runs and jobs.
-- Roles belong to the cluster, not the database: they are created once (a migrating role
-- without CREATEROLE gets a warning and the statements to run as a superuser), and the grants
-- of this database are applied again after every migration by `xero.apply_grants()`, so tables
-- added later are readable too.

DO $$
DECLARE
    wanted text;
BEGIN
    FOREACH wanted IN ARRAY ARRAY['xero_sync_reader', 'xero_sync_operator'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', wanted);
            EXCEPTION
                -- Another database of the cluster migrating at the same moment created it.
                WHEN duplicate_object OR unique_violation THEN NULL;
                WHEN insufficient_privilege THEN
                    RAISE WARNING 'cannot create role % (the migrating role lacks CREATEROLE); as a superuser run: CREATE ROLE % NOLOGIN; then migrate again', wanted, wanted;
            END;
        END IF;
    END LOOP;
END
$$;

-- The tables that hold secrets or the engine's own bookkeeping: never readable by the reader.
CREATE FUNCTION xero.private_tables() RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('tokens'), ('connections'), ('tenant_budget'), ('app_budget'), ('call_leases'),
           ('egress')
$$;

-- Grants the two roles what they may do in this database; idempotent, run after every migration.
CREATE FUNCTION xero.apply_grants() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    object record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xero_sync_reader')
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xero_sync_operator') THEN
        RAISE WARNING 'roles xero_sync_reader / xero_sync_operator are missing; grants skipped';
        RETURN;
    END IF;
    -- Replicas migrating at once take turns; the membership belongs to the cluster, so
    -- another database's migration may be granting it at this very moment.
    PERFORM pg_advisory_xact_lock(hashtext('xero.apply_grants'));
    IF NOT pg_has_role('xero_sync_operator', 'xero_sync_reader', 'MEMBER') THEN
        BEGIN
            EXECUTE 'GRANT xero_sync_reader TO xero_sync_operator';
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'granting xero_sync_reader to xero_sync_operator: %', SQLERRM;
        END;
    END IF;
    EXECUTE 'GRANT USAGE ON SCHEMA xero TO xero_sync_reader';
    FOR object IN
        SELECT c.relname, c.relkind FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'xero' AND c.relkind IN ('r', 'v', 'm', 'p')
    LOOP
        IF object.relname IN (SELECT xero.private_tables()) THEN
            EXECUTE format('REVOKE ALL ON xero.%I FROM xero_sync_reader, xero_sync_operator',
                           object.relname);
        ELSE
            EXECUTE format('GRANT SELECT ON xero.%I TO xero_sync_reader', object.relname);
        END IF;
    END LOOP;
    -- The functions that act (SECURITY DEFINER) are the operator's alone; every other function
    -- runs with its caller's rights and stays executable, as views over them need.
    EXECUTE 'REVOKE EXECUTE ON FUNCTION xero.request_sync(uuid, text, boolean),
                                        xero.pause_tenant(uuid), xero.resume_tenant(uuid)
             FROM PUBLIC';
    EXECUTE 'GRANT EXECUTE ON FUNCTION xero.request_sync(uuid, text, boolean),
                                       xero.pause_tenant(uuid), xero.resume_tenant(uuid)
             TO xero_sync_operator';
    -- The operator reads the queue's state (what `xero-sync status` and `jobs` show).
    EXECUTE 'GRANT USAGE ON SCHEMA apalis TO xero_sync_operator';
    EXECUTE 'GRANT SELECT ON apalis.jobs, apalis.workers TO xero_sync_operator';
END
$$;
