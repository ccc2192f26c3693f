-- The credential vault (SQLite types; see migrations/postgres for the intent).
CREATE TABLE credentials (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    owner_id    TEXT NOT NULL REFERENCES users (id),
    name        text NOT NULL,
    provider    text NOT NULL,
    metadata    text NOT NULL,
    key_version INTEGER NOT NULL,
    wrapped_key BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rotated_at  TEXT,
    CONSTRAINT credentials_name_key UNIQUE (tenant_id, name)
);
CREATE INDEX credentials_tenant_id_idx ON credentials (tenant_id, created_at DESC, id DESC);
CREATE INDEX credentials_owner_id_idx ON credentials (owner_id, created_at DESC, id DESC);
CREATE INDEX credentials_key_version_idx ON credentials (key_version, id);
