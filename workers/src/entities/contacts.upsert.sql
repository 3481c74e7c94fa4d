-- Stores one page of Contacts. $1 = tenant id, $2 = the response body.
-- A page may hold the same contact twice (the keyset cursor overlaps by a second): keep the
-- newest (then the last) of each id, since ON CONFLICT cannot touch one row twice in a statement.
-- An identical record rewrites nothing; an older version never overwrites a newer one. Equal
-- UpdatedDateUTC with other content does overwrite: Xero changes Balances, IsSupplier and
-- IsCustomer without bumping UpdatedDateUTC.
INSERT INTO xero.contacts AS t (
    tenant_id, contact_id, name, first_name, last_name, email_address, contact_status,
    is_supplier, is_customer, account_number, tax_number, merged_to_contact_id, updated_date_utc,
    raw
)
SELECT DISTINCT ON (contact_id)
    $1, contact_id,
    r ->> 'Name', r ->> 'FirstName', r ->> 'LastName', r ->> 'EmailAddress', r ->> 'ContactStatus',
    (r ->> 'IsSupplier')::boolean, (r ->> 'IsCustomer')::boolean,
    r ->> 'AccountNumber', r ->> 'TaxNumber', nullif(r ->> 'MergedToContactID', '')::uuid,
    updated, r
FROM jsonb_array_elements(coalesce($2::jsonb -> 'Contacts', '[]')) WITH ORDINALITY AS e(r, n),
    LATERAL (SELECT (r ->> 'ContactID')::uuid AS contact_id,
                    xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
ORDER BY contact_id, updated DESC NULLS LAST, n DESC
ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
    name = excluded.name,
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    email_address = excluded.email_address,
    contact_status = excluded.contact_status,
    is_supplier = excluded.is_supplier,
    is_customer = excluded.is_customer,
    account_number = excluded.account_number,
    tax_number = excluded.tax_number,
    merged_to_contact_id = excluded.merged_to_contact_id,
    updated_date_utc = excluded.updated_date_utc,
    raw = excluded.raw,
    synced_at = now()
WHERE t.raw IS DISTINCT FROM excluded.raw
  AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
