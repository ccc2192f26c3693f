-- FlowTrack: projects, their workflows, and the workflows' tasks (see the PostgreSQL
-- migration for the indexes' purpose). A parent with children cannot be deleted.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    owner_id    TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX projects_tenant_created_idx ON projects (tenant_id, created_at DESC, id DESC);
CREATE INDEX projects_owner_created_idx ON projects (owner_id, created_at DESC, id DESC);
CREATE INDEX projects_tenant_name_idx ON projects (tenant_id, name);
CREATE INDEX projects_tenant_updated_idx ON projects (tenant_id, updated_at DESC);

CREATE TABLE workflows (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    owner_id    TEXT NOT NULL REFERENCES users (id),
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX workflows_tenant_created_idx ON workflows (tenant_id, created_at DESC, id DESC);
CREATE INDEX workflows_owner_created_idx ON workflows (owner_id, created_at DESC, id DESC);
CREATE INDEX workflows_project_created_idx ON workflows (project_id, created_at DESC, id DESC);
CREATE INDEX workflows_tenant_name_idx ON workflows (tenant_id, name);
CREATE INDEX workflows_tenant_updated_idx ON workflows (tenant_id, updated_at DESC);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    owner_id    TEXT NOT NULL REFERENCES users (id),
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE RESTRICT,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority    TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
    due_date    TEXT,
    assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_tenant_created_idx ON tasks (tenant_id, created_at DESC, id DESC);
CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at DESC, id DESC);
CREATE INDEX tasks_workflow_created_idx ON tasks (workflow_id, created_at DESC, id DESC);
CREATE INDEX tasks_tenant_status_created_idx ON tasks (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX tasks_tenant_priority_created_idx ON tasks (tenant_id, priority, created_at DESC, id DESC);
CREATE INDEX tasks_assignee_created_idx ON tasks (assignee_id, created_at DESC, id DESC);
CREATE INDEX tasks_tenant_title_idx ON tasks (tenant_id, title);
CREATE INDEX tasks_tenant_due_idx ON tasks (tenant_id, due_date);
CREATE INDEX tasks_tenant_updated_idx ON tasks (tenant_id, updated_at DESC);
