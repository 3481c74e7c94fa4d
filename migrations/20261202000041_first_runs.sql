-- When each entity became one the deployment syncs. A tenant connected before that, which has
-- never run it, gets its first run from the maintenance leader: an entity an upgrade added, or
-- one SYNC_ENTITIES named later, starts for every organisation without anyone asking. (Rows
-- present now take this migration's time: every pair of a connected tenant that the
-- deployment syncs but never ran starts once.)
ALTER TABLE xero.entities ADD COLUMN enabled_since timestamptz NOT NULL DEFAULT now();
