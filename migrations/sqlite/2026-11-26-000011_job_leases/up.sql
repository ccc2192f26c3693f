-- Background jobs' lease rows (see migrations/postgres for the intent).
CREATE TABLE job_runs (
    name        text PRIMARY KEY NOT NULL,
    started_at  TEXT NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at) WHERE accepted_at IS NULL;
