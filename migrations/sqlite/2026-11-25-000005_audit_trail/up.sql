-- The audit trail (SQLite types; see migrations/postgres for the intent).
CREATE TABLE audit_logs (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    tenant_id    TEXT,
    seq          INTEGER NOT NULL,
    occurred_at  TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    outcome      TEXT NOT NULL,
    request_id   TEXT,
    ip           TEXT,
    user_agent   TEXT,
    changes      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_logs_chain_seq_key ON audit_logs (coalesce(tenant_id, ''), seq);
CREATE INDEX audit_logs_tenant_position_idx ON audit_logs (tenant_id, position DESC);
CREATE INDEX audit_logs_tenant_seq_idx ON audit_logs (tenant_id, seq);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id);
CREATE INDEX audit_logs_target_idx ON audit_logs (target_type, target_id);

CREATE TABLE audit_chains (
    chain      TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT,
    last_seq   INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
);

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: DELETE refused');
END;
