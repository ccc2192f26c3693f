DROP INDEX sessions_tenant_live_idx;
DROP INDEX audit_logs_tenant_time_idx;
