-- Linked transactions (billable expenses): a line of a bill linked to a customer, and once
-- billed to a line of a sales invoice. Xero deletes them outright, so every run reads the whole
-- set: `seen_run` is the last run that met the record, and `removed_at` marks one a complete
-- walk did not meet (kept, never deleted).
-- Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.linked_transactions (
    tenant_id                    uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    linked_transaction_id        uuid NOT NULL,
    source_transaction_id        uuid,
    source_line_item_id          uuid,
    contact_id                   uuid,
    target_transaction_id        uuid,
    target_line_item_id          uuid,
    status                       text,
    type                         text,
    source_transaction_type_code text,
    updated_date_utc             timestamptz,
    raw                          jsonb NOT NULL,
    synced_at                    timestamptz NOT NULL DEFAULT now(),
    seen_run                     uuid,
    removed_at                   timestamptz,
    PRIMARY KEY (tenant_id, linked_transaction_id)
);
CREATE INDEX linked_transactions_source ON xero.linked_transactions (tenant_id, source_transaction_id);
CREATE INDEX linked_transactions_target ON xero.linked_transactions (tenant_id, target_transaction_id)
    WHERE target_transaction_id IS NOT NULL;
