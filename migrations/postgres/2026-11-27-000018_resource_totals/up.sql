-- How many rows each tenant has in each business resource's table, kept by triggers in the
-- writing statement's transaction. A list over a whole tenant (no owner, filter or search)
-- reads its page's `total` here: one row, however many rows the tenant has, where a
-- count(*) grows with them. Lists narrowed any further still count.
--
-- A counter row is locked from a write until its commit, so writes of one resource in one
-- tenant queue on it; every such write is audited and already queues on the tenant's audit
-- chain head, so this adds no new wait.
CREATE TABLE resource_totals (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource   TEXT NOT NULL,
    total      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, resource)
);

ALTER TABLE resource_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_totals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resource_totals
    USING (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*')
    WITH CHECK (tenant_id = (SELECT castellan_current_tenant()) OR (SELECT castellan_tenant_setting()) = '*');

-- Statement-level: a statement writing many rows moves each tenant's counter once.
CREATE FUNCTION castellan_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_totals AS t (tenant_id, resource, total)
        SELECT tenant_id, TG_TABLE_NAME, count(*) FROM inserted GROUP BY tenant_id
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = t.total + excluded.total;
    RETURN NULL;
END
$$;

-- An update, not an upsert: when a tenant is deleted its counters go first (cascade) and
-- must not come back.
CREATE FUNCTION castellan_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE resource_totals t SET total = t.total - d.total
        FROM (SELECT tenant_id, count(*) AS total FROM deleted GROUP BY tenant_id) d
        WHERE t.tenant_id = d.tenant_id AND t.resource = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

-- A row moved to another tenant (nothing in Castellan does that; a hand-written UPDATE
-- might).
CREATE FUNCTION castellan_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE resource_totals SET total = total - 1
        WHERE tenant_id = OLD.tenant_id AND resource = TG_TABLE_NAME;
    INSERT INTO resource_totals AS t (tenant_id, resource, total)
        VALUES (NEW.tenant_id, TG_TABLE_NAME, 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = t.total + 1;
    RETURN NULL;
END
$$;

CREATE FUNCTION castellan_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM resource_totals WHERE resource = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

-- Counts `resource`'s table from now on, starting from the rows it has. Every business
-- resource's migration calls it once (docs/resources.md).
CREATE FUNCTION castellan_count_resource(resource text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS inserted '
                   'FOR EACH STATEMENT EXECUTE FUNCTION castellan_count_inserted()',
                   resource || '_count_inserted', resource);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS deleted '
                   'FOR EACH STATEMENT EXECUTE FUNCTION castellan_count_deleted()',
                   resource || '_count_deleted', resource);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE OF tenant_id ON %I FOR EACH ROW '
                   'WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) '
                   'EXECUTE FUNCTION castellan_count_moved()',
                   resource || '_count_moved', resource);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION castellan_count_truncated()',
                   resource || '_count_truncated', resource);
    EXECUTE format('INSERT INTO resource_totals (tenant_id, resource, total) '
                   'SELECT tenant_id, %L, count(*) FROM %I GROUP BY tenant_id',
                   resource, resource);
END
$$;

-- The backfill reads every tenant's rows (row-level security applies to the migrating role
-- too unless it is a superuser); the setting lasts until this statement's transaction ends.
DO $$
BEGIN
    PERFORM set_config('app.tenant_id', '*', true);
    PERFORM castellan_count_resource(resource)
        FROM unnest(ARRAY['articles', 'projects', 'workflows', 'tasks',
                          'sites', 'batches', 'serializations', 'inspections']) AS resource;
END
$$;
