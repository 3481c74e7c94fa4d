-- The lists Xero nests in a record that have no ids of their own, or that change only with
-- their record, as views over the record's `raw`: always exactly what the stored version
-- holds, with nothing to write or keep in step.
--   xero.contact_addresses, xero.contact_phones, xero.contact_persons — a contact's addresses
--     (one per AddressType), phone slots (one per PhoneType) and people (by position; Xero
--     gives them no id);
--   xero.allocations — the allocations of credit notes, overpayments and prepayments to
--     invoices (by AllocationID), with the document they come from.

CREATE VIEW xero.contact_addresses AS
SELECT c.tenant_id, c.contact_id, a ->> 'AddressType' AS address_type,
       a ->> 'AddressLine1' AS address_line1, a ->> 'AddressLine2' AS address_line2,
       a ->> 'AddressLine3' AS address_line3, a ->> 'AddressLine4' AS address_line4,
       a ->> 'City' AS city, a ->> 'Region' AS region, a ->> 'PostalCode' AS postal_code,
       a ->> 'Country' AS country, a ->> 'AttentionTo' AS attention_to,
       c.updated_date_utc, a AS raw
FROM xero.contacts AS c
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(c.raw -> 'Addresses') = 'array' THEN c.raw -> 'Addresses' ELSE '[]' END) AS e(a);

CREATE VIEW xero.contact_phones AS
SELECT c.tenant_id, c.contact_id, p ->> 'PhoneType' AS phone_type,
       p ->> 'PhoneNumber' AS phone_number, p ->> 'PhoneAreaCode' AS phone_area_code,
       p ->> 'PhoneCountryCode' AS phone_country_code, c.updated_date_utc, p AS raw
FROM xero.contacts AS c
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(c.raw -> 'Phones') = 'array' THEN c.raw -> 'Phones' ELSE '[]' END) AS e(p);

CREATE VIEW xero.contact_persons AS
SELECT c.tenant_id, c.contact_id, e.position::integer AS position,
       p ->> 'FirstName' AS first_name, p ->> 'LastName' AS last_name,
       p ->> 'EmailAddress' AS email_address, (p ->> 'IncludeInEmails')::boolean AS include_in_emails,
       c.updated_date_utc, p AS raw
FROM xero.contacts AS c
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(c.raw -> 'ContactPersons') = 'array' THEN c.raw -> 'ContactPersons' ELSE '[]' END)
    WITH ORDINALITY AS e(p, position);

CREATE VIEW xero.allocations AS
SELECT d.tenant_id, nullif(a ->> 'AllocationID', '')::uuid AS allocation_id, d.kind,
       d.document_id, nullif(a -> 'Invoice' ->> 'InvoiceID', '')::uuid AS invoice_id,
       nullif(a ->> 'Amount', '')::numeric AS amount, xero.ms_date(a ->> 'Date') AS date,
       coalesce((a ->> 'IsDeleted')::boolean, false) AS is_deleted, d.updated_date_utc, a AS raw
FROM (
    SELECT tenant_id, 'credit_note' AS kind, credit_note_id AS document_id, updated_date_utc, raw
      FROM xero.credit_notes
    UNION ALL
    SELECT tenant_id, 'overpayment', overpayment_id, updated_date_utc, raw FROM xero.overpayments
    UNION ALL
    SELECT tenant_id, 'prepayment', prepayment_id, updated_date_utc, raw FROM xero.prepayments
) AS d
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(d.raw -> 'Allocations') = 'array' THEN d.raw -> 'Allocations' ELSE '[]' END) AS e(a);
