-- Continuous verification: every check of an organisation's ledger against Xero's Trial
-- Balance, what differed, and how it was healed. `outcome`:
--   equal          every account matched (after healing, if `healed_from` names the check)
--   differs        accounts differed; `healing_runs` re-read what posts to them
--   still_differs  they differed again after healing: said loudly, and not healed again
--   not_verified   the check could not be made (`detail` says why)
CREATE TABLE xero.verifications (
    verification_id bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
    on_date         date NOT NULL,
    verified_at     timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL
                    CHECK (outcome IN ('equal', 'differs', 'still_differs', 'not_verified')),
    accounts        integer NOT NULL DEFAULT 0,
    differing       jsonb NOT NULL DEFAULT '[]',
    healing_runs    uuid[] NOT NULL DEFAULT '{}',
    healed_from     bigint REFERENCES xero.verifications ON DELETE SET NULL,
    detail          text
);
CREATE INDEX verifications_tenant ON xero.verifications (tenant_id, verified_at DESC);
