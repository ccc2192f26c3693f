-- FlowTrack: projects, their workflows, and the workflows' tasks. Indexes serve every list
-- the API offers: the tenant's newest first (the default), one owner's (read-own), every
-- exact filter, and every ordering; text columns compare by code point ("C") like SQLite.
-- A parent with children cannot be deleted (RESTRICT: 409).

CREATE TABLE projects (
    id          uuid PRIMARY KEY NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    name        text COLLATE "C" NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX projects_tenant_created_idx ON projects (tenant_id, created_at DESC, id DESC);
CREATE INDEX projects_owner_created_idx ON projects (owner_id, created_at DESC, id DESC);
CREATE INDEX projects_tenant_name_idx ON projects (tenant_id, name);
CREATE INDEX projects_tenant_updated_idx ON projects (tenant_id, updated_at DESC);

CREATE TABLE workflows (
    id          uuid PRIMARY KEY NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    name        text COLLATE "C" NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX workflows_tenant_created_idx ON workflows (tenant_id, created_at DESC, id DESC);
CREATE INDEX workflows_owner_created_idx ON workflows (owner_id, created_at DESC, id DESC);
CREATE INDEX workflows_project_created_idx ON workflows (project_id, created_at DESC, id DESC);
CREATE INDEX workflows_tenant_name_idx ON workflows (tenant_id, name);
CREATE INDEX workflows_tenant_updated_idx ON workflows (tenant_id, updated_at DESC);

CREATE TABLE tasks (
    id          uuid PRIMARY KEY NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE RESTRICT,
    title       text COLLATE "C" NOT NULL,
    description text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority    text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
    due_date    date,
    assignee_id uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
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

-- Row-level security, as on every tenant table.
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflows
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON projects, workflows, tasks TO castellan_app;
