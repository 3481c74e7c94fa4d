-- A contact merged into another in Xero is archived and names the survivor: kept here as
-- `merged_to_contact_id`, so what pointed at the merged contact can be followed to the one
-- that lives on.
ALTER TABLE xero.contacts ADD COLUMN merged_to_contact_id uuid;
CREATE INDEX contacts_merged_to ON xero.contacts (tenant_id, merged_to_contact_id)
    WHERE merged_to_contact_id IS NOT NULL;
