-- Revoked access tokens (by jti) and sessions (by id): the embedded token store's
-- persistence, so that a logout survives a restart.
CREATE TABLE revocations (
    id          TEXT PRIMARY KEY NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX revocations_expires_at_idx ON revocations (expires_at);
