-- Row-level security: the second wall behind the application's tenant checks. Every
-- tenant-scoped table only shows and accepts rows of the tenant named by the
-- per-connection setting app.tenant_id ('*' for system work: authentication,
-- registration, superusers), and nothing at all when it is unset. FORCE makes it apply to
-- the tables' owner too; the application itself runs as castellan_app (no BYPASSRLS).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'castellan_app') THEN
        BEGIN
            CREATE ROLE castellan_app NOLOGIN NOBYPASSRLS;
        EXCEPTION WHEN OTHERS THEN
            -- Another database of the cluster created it concurrently.
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'castellan_app') THEN
                RAISE;
            END IF;
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO castellan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO castellan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO castellan_app;

CREATE FUNCTION castellan_tenant_visible(tenant uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.tenant_id', true), '') IN ('*', tenant::text) $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (castellan_tenant_visible(id)) WITH CHECK (castellan_tenant_visible(id));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_roles
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE access_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON access_rules
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE articles ENABLE ROW LEVEL SECURITY;
ALTER TABLE articles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON articles
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
