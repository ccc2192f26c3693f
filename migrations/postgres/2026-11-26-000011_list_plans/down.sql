DROP INDEX articles_owner_created_idx;
DROP INDEX articles_tenant_updated_idx;
DROP INDEX articles_tenant_title_idx;
CREATE OR REPLACE FUNCTION castellan_tenant_visible(tenant uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.tenant_id', true), '') IN ('*', tenant::text) $$;
