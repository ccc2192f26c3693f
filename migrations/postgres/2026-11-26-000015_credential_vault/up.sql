-- The credential vault: each secret encrypted (AES-256-GCM) with a data key of its own,
-- stored wrapped by a key-encryption key of version `key_version`. No plaintext is stored.
CREATE TABLE credentials (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    name        text NOT NULL,
    provider    text NOT NULL,
    -- A JSON object (not secret), kept as written.
    metadata    text NOT NULL,
    key_version integer NOT NULL,
    wrapped_key bytea NOT NULL,
    nonce       bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    CONSTRAINT credentials_name_key UNIQUE (tenant_id, name)
);
CREATE INDEX credentials_tenant_id_idx ON credentials (tenant_id, created_at DESC, id DESC);
CREATE INDEX credentials_owner_id_idx ON credentials (owner_id, created_at DESC, id DESC);
-- What a key rotation walks: the data keys of older KEK versions.
CREATE INDEX credentials_key_version_idx ON credentials (key_version, id);

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credentials
    USING (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*')
    WITH CHECK (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*');
