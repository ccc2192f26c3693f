-- API keys (the secret stored only as an HMAC-SHA-256 under a server secret, found by
-- its public prefix) and one-time password-reset tokens (stored hashed).
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    secret_hash  bytea NOT NULL,
    scopes       text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id, created_at DESC, id DESC);
CREATE INDEX api_keys_owner_id_idx ON api_keys (owner_id, created_at DESC, id DESC);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*')
    WITH CHECK (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*');

CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    -- Set when the token is used or voided by a newer request.
    spent_at    timestamptz,
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX password_resets_user_id_idx ON password_resets (user_id) WHERE spent_at IS NULL;

ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON password_resets
    USING (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*')
    WITH CHECK (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*');
