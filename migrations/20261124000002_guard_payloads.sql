-- apalis decodes every row it claims from the `xero-sync` queue into JSON before our handler
-- sees it; bytes that are not JSON (or JSON serde_json refuses) make that decode fail inside
-- apalis's fetch, which ends the worker, and the row stays claimed to kill the next one too.
-- Our handler turns any JSON it cannot read into a failed job with a clear error, so the guard
-- only has to keep out what never reaches the handler.
--
-- Every payload of this queue (a batch job, a scheduled run) is a flat JSON object of strings
-- and numbers. Requiring exactly that keeps clear of serde_json's limits where jsonb is laxer:
-- nesting deeper than 128 levels, numbers beyond f64. Other queues are left alone.

CREATE FUNCTION xero.is_job_payload(payload bytea) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    doc jsonb;
BEGIN
    doc := convert_from(payload, 'UTF8')::jsonb;
    RETURN jsonb_typeof(doc) = 'object' AND NOT EXISTS (
        SELECT 1 FROM jsonb_each(doc) AS field
         WHERE jsonb_typeof(field.value) IN ('object', 'array')
            OR (jsonb_typeof(field.value) = 'number' AND abs(field.value::numeric) > 1e300));
EXCEPTION WHEN others THEN
    -- Invalid UTF-8, invalid JSON: not a payload.
    RETURN false;
END
$$;

-- NOT VALID: rows already queued are not re-checked, new and updated ones are.
ALTER TABLE apalis.jobs ADD CONSTRAINT jobs_xero_sync_payload_is_json_object
    CHECK (job_type <> 'xero-sync' OR xero.is_job_payload(job)) NOT VALID;
