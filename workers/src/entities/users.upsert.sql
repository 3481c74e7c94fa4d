-- Stores a run's Users. $1 = tenant id, $2 = the records under `Users`. Of a
-- record sent twice the last is kept; an identical record rewrites nothing; an older version never overwrites a newer one. A record
-- that comes back after being marked removed is unmarked.
INSERT INTO xero.users AS t (tenant_id, user_id, email_address, first_name, last_name, organisation_role, is_subscriber, updated_date_utc, raw)
SELECT DISTINCT ON (k.id)
    $1, k.id,
    r ->> 'EmailAddress',
    r ->> 'FirstName',
    r ->> 'LastName',
    r ->> 'OrganisationRole',
    (r ->> 'IsSubscriber')::boolean,
    k.updated,
    r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Users', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'UserID')::uuid AS id, xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
WHERE k.id IS NOT NULL
ORDER BY k.id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    email_address = excluded.email_address,
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    organisation_role = excluded.organisation_role,
    is_subscriber = excluded.is_subscriber,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    removed_at = NULL,
    synced_at = now()
WHERE (t.raw IS DISTINCT FROM excluded.raw OR t.removed_at IS NOT NULL)
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
