-- The same visibility rule, written so that the planner can estimate it. The first version
-- (`coalesce(setting, '') IN ('*', tenant::text)`) is opaque to the planner, which guessed
-- that it keeps 0.5 % of a table's rows; lists of a large tenant then got sequential scans
-- and sorts instead of index scans. As `tenant = <setting>` the planner uses the column's
-- statistics. Meaning unchanged: the setting `*` sees every row (including those without a
-- tenant), a tenant's id sees that tenant's rows, an unset or empty setting sees nothing.
CREATE OR REPLACE FUNCTION castellan_tenant_visible(tenant uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT tenant = nullif(nullif(current_setting('app.tenant_id', true), ''), '*')::uuid
                 OR current_setting('app.tenant_id', true) = '*' $$;

-- Articles came before the rule "an index for every ordering": ordering by title or
-- updated_at within a tenant gets one now, and read-own its newest-first order.
CREATE INDEX articles_tenant_title_idx ON articles (tenant_id, title);
CREATE INDEX articles_tenant_updated_idx ON articles (tenant_id, updated_at DESC);
CREATE INDEX articles_owner_created_idx ON articles (owner_id, created_at DESC, id DESC);
