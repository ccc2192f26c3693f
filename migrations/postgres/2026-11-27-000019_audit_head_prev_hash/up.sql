-- An audit entry is sealed by the statement that appends it, with no function call.
--
-- The chain's head row now also keeps the hash it replaced (`prev_hash`), so the append's
-- upsert of the head (`INSERT ... ON CONFLICT (chain) DO UPDATE ... RETURNING`) returns the
-- entry's seq, its prev_hash and its hash in one step: one statement locks the head, numbers
-- and hashes the entry and moves the head (see `APPEND_SEALED` in
-- crates/adapters-sql/src/audit.rs). castellan_audit_seal (migration 000017) took two
-- statements inside a PL/pgSQL call for the same, under the chain's lock.
ALTER TABLE audit_chains ADD COLUMN prev_hash text;

-- What each head replaced, from its last entry (chains without entries have none). Row-level
-- security is forced on both tables, so the backfill runs in the system scope (the owner
-- too is filtered unless it is a superuser); the setting lasts until this transaction ends.
DO $$
BEGIN
    PERFORM set_config('app.tenant_id', '*', true);
    UPDATE audit_chains c SET prev_hash = l.prev_hash
        FROM audit_logs l
        WHERE coalesce(l.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) = c.chain
          AND l.seq = c.last_seq;
END
$$;

DROP FUNCTION castellan_audit_seal(uuid, uuid, text, text);
