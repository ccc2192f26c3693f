-- Invitations (SQLite types; see migrations/postgres for the intent) and the dev outbox.
CREATE TABLE invitations (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    email        text NOT NULL,
    role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    revoked_at   TEXT,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_tenant_id_idx ON invitations (tenant_id, created_at DESC);

CREATE TABLE outbox (
    id        TEXT PRIMARY KEY NOT NULL,
    to_email  text NOT NULL,
    subject   text NOT NULL,
    body      text NOT NULL,
    sent_at   TEXT NOT NULL
);
CREATE INDEX outbox_to_email_idx ON outbox (to_email, sent_at DESC);
