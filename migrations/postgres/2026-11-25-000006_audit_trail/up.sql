-- The audit trail: append-only and hash-chained per tenant.
--
-- audit_logs holds the entries. Each tenant's entries form a chain (seq 1, 2, ... with
-- hash = SHA-256(prev_hash || canonical entry)); entries outside any tenant form one more
-- chain (tenant_id NULL). The unique (chain, seq) index stops two writers from forking a
-- chain; writers serialize on the chain's row in audit_chains, which also records where
-- each chain ends so that a removed tail is detectable.
--
-- changes and metadata are kept as the exact JSON text that was hashed.

CREATE TABLE audit_logs (
    position     BIGSERIAL PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    tenant_id    uuid,
    seq          BIGINT NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor_type   text NOT NULL,
    actor_id     uuid,
    action       text NOT NULL,
    target_type  text,
    target_id    text,
    outcome      text NOT NULL,
    request_id   text,
    ip           text,
    user_agent   text,
    changes      text NOT NULL,
    metadata     text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL
);
CREATE UNIQUE INDEX audit_logs_chain_seq_key
    ON audit_logs (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), seq);
CREATE INDEX audit_logs_tenant_position_idx ON audit_logs (tenant_id, position DESC);
CREATE INDEX audit_logs_tenant_seq_idx ON audit_logs (tenant_id, seq);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id);
CREATE INDEX audit_logs_target_idx ON audit_logs (target_type, target_id);

CREATE TABLE audit_chains (
    chain      uuid PRIMARY KEY,
    tenant_id  uuid,
    last_seq   BIGINT NOT NULL,
    last_hash  text NOT NULL
);

-- Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION castellan_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logs_append_only
    BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION castellan_audit_append_only();
CREATE TRIGGER audit_logs_no_truncate
    BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION castellan_audit_append_only();

-- The application role may only read and append.
GRANT SELECT, INSERT ON audit_logs TO castellan_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM castellan_app;
GRANT USAGE, SELECT ON SEQUENCE audit_logs_position_seq TO castellan_app;
GRANT SELECT, INSERT, UPDATE ON audit_chains TO castellan_app;
REVOKE DELETE, TRUNCATE ON audit_chains FROM castellan_app;

-- Row-level security as on the other tenant tables; the chain without a tenant is only
-- visible to system work.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_logs
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE audit_chains ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chains FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chains
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
