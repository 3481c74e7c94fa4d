-- Items: unpaged with If-Modified-Since; deleted outright in Xero, so full runs (the weekly
-- re-read) mark the items no longer returned as removed.
-- Conventions: see 20261124000010_accounts.sql; `removed_at` marks a record Xero no longer has.

CREATE TABLE xero.items (
    tenant_id              uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    item_id                uuid NOT NULL,
    code                   text,
    name                   text,
    description            text,
    is_sold                boolean,
    is_purchased           boolean,
    is_tracked_as_inventory boolean,
    sales_unit_price       numeric,
    purchase_unit_price    numeric,
    quantity_on_hand       numeric,
    updated_date_utc       timestamptz,
    raw                    jsonb NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (tenant_id, item_id)
);
