-- Bank transfers: one unpaged call with includeDeleted=true on every run (they carry only
-- CreatedDateUTC, which a deletion does not move, so no watermark can find deletions); a
-- deleted transfer is kept with `status = 'DELETED'`. Conventions: see 20261124000010_accounts.sql.

CREATE TABLE xero.bank_transfers (
    tenant_id                uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    bank_transfer_id         uuid NOT NULL,
    date                     date,
    amount                   numeric,
    currency_rate            numeric,
    reference                text,
    status                   text,
    from_bank_account_id     uuid,
    to_bank_account_id       uuid,
    from_bank_transaction_id uuid,
    to_bank_transaction_id   uuid,
    created_date_utc         timestamptz,
    raw                      jsonb NOT NULL,
    synced_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, bank_transfer_id)
);
