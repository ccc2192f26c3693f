-- Revoked access tokens (by jti) and sessions (by id), for deployments without Redis: the
-- token store then lives here, still shared by every replica.
CREATE TABLE revocations (
    id          uuid PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX revocations_expires_at_idx ON revocations (expires_at);
