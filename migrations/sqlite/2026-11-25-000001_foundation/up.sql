-- Foundation (SQLite): the schema of migrations/postgres in SQLite's types. UUIDs are
-- hyphenated TEXT, timestamps RFC 3339 TEXT (UTC), hashes BLOB, booleans 0/1.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    is_active   BOOLEAN NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

INSERT INTO tenants (id, name, slug)
VALUES ('00000000-0000-0000-0000-000000000001', 'Default', 'default');

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    email          TEXT NOT NULL CHECK (email = lower(email)),
    password_hash  TEXT NOT NULL,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    patronymic     TEXT NOT NULL DEFAULT '',
    is_active      BOOLEAN NOT NULL DEFAULT 1,
    is_superuser   BOOLEAN NOT NULL DEFAULT 0,
    token_version  INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_tenant_id_idx ON users (tenant_id);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    is_system    BOOLEAN NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CONSTRAINT roles_tenant_name_key UNIQUE (tenant_id, name)
);

INSERT INTO roles (id, tenant_id, name, description, is_system) VALUES
    ('00000000-0000-0000-0001-000000000001', '00000000-0000-0000-0000-000000000001', 'Admin', 'Every permission on every element', 1),
    ('00000000-0000-0000-0001-000000000002', '00000000-0000-0000-0000-000000000001', 'User', 'Own articles, projects, workflows, tasks and API keys', 1),
    ('00000000-0000-0000-0001-000000000003', '00000000-0000-0000-0000-000000000001', 'Guest', 'Reads every article', 1);

CREATE TABLE user_roles (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    granted_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    granted_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CONSTRAINT user_roles_user_role_key UNIQUE (user_id, role_id)
);
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at DESC);

CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    rotated_at  TEXT
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
