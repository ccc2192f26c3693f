DROP INDEX invitations_expires_at_idx;
DROP INDEX sessions_expires_at_idx;
DROP TABLE job_runs;
