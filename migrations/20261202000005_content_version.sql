-- The digest's version of a record without UpdatedDateUTC (the full-refresh sets): 60 bits of
-- SHA-256 over its name (`Name`, else `Description`, else `Reference`) and `Status`, what such a
-- record's change changes. The simulator computes the same (`sim::settings::content_version`).
CREATE FUNCTION xero.content_version(raw jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || substr(encode(sha256(convert_to(
               coalesce(raw ->> 'Name', raw ->> 'Description', raw ->> 'Reference', '')
               || '|' || coalesce(raw ->> 'Status', ''), 'UTF8')), 'hex'), 1, 15))::bit(60)::bigint
$$;
