-- Back to migration 000017's state: castellan_audit_seal as it defined it (a migration is
-- self-contained SQL, so its text is repeated here).
ALTER TABLE audit_chains DROP COLUMN prev_hash;

CREATE FUNCTION castellan_audit_seal(
    p_chain uuid,
    p_tenant uuid,
    p_before_seq text,
    p_after_seq text,
    OUT seq bigint,
    OUT prev_hash text,
    OUT hash text
) LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.last_seq + 1, c.last_hash INTO seq, prev_hash
        FROM audit_chains c WHERE c.chain = p_chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_chains AS c (chain, tenant_id, last_seq, last_hash)
            VALUES (p_chain, p_tenant, 0, repeat('0', 64))
            ON CONFLICT (chain) DO UPDATE SET last_seq = c.last_seq
            RETURNING c.last_seq + 1, c.last_hash INTO seq, prev_hash;
    END IF;
    hash := encode(sha256(convert_to(prev_hash || p_before_seq || seq::text || p_after_seq, 'UTF8')), 'hex');
    UPDATE audit_chains c SET last_seq = seq, last_hash = hash WHERE c.chain = p_chain;
END
$$;
