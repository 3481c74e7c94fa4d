-- Reading job payloads from SQL (status, failed-job listings) without tripping over a row whose
-- bytes are not JSON: NULL instead of an error.
CREATE FUNCTION xero.job_payload(job bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN convert_from(job, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
