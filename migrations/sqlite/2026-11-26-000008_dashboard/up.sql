-- The dashboard's aggregates: a tenant's audit entries of the last 24 hours (logins,
-- denials) and its live sessions, each counted from an index.
CREATE INDEX audit_logs_tenant_time_idx ON audit_logs (tenant_id, occurred_at);
CREATE INDEX sessions_tenant_live_idx ON sessions (tenant_id, expires_at) WHERE revoked_at IS NULL;
