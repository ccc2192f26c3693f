-- API keys and password-reset tokens (SQLite types; see migrations/postgres for the intent).
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    owner_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    secret_hash  BLOB NOT NULL,
    scopes       text NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id, created_at DESC, id DESC);
CREATE INDEX api_keys_owner_id_idx ON api_keys (owner_id, created_at DESC, id DESC);

CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    spent_at    TEXT,
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX password_resets_user_id_idx ON password_resets (user_id) WHERE spent_at IS NULL;
