-- One lease row per background job: a replica runs a job only after claiming its period
-- with a conditional UPDATE, so that replicas never run the same job twice.
CREATE TABLE job_runs (
    name        text PRIMARY KEY,
    started_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at) WHERE accepted_at IS NULL;
