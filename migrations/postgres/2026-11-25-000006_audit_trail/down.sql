DROP TABLE audit_chains;
DROP TABLE audit_logs;
DROP FUNCTION castellan_audit_append_only();
