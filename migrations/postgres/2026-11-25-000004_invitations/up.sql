-- Invitations (tokens stored hashed; status derived from the timestamps) and the dev
-- mailer's outbox.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    email        text NOT NULL,
    role_id      uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL,
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_tenant_id_idx ON invitations (tenant_id, created_at DESC);

CREATE TABLE outbox (
    id        uuid PRIMARY KEY,
    to_email  text NOT NULL,
    subject   text NOT NULL,
    body      text NOT NULL,
    sent_at   timestamptz NOT NULL
);
CREATE INDEX outbox_to_email_idx ON outbox (to_email, sent_at DESC);
