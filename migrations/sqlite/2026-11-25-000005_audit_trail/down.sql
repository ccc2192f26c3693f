DROP TABLE audit_chains;
DROP TABLE audit_logs;
