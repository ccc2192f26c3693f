DO $$
DECLARE
    t record;
    col text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies
             WHERE schemaname = 'public' AND policyname = 'tenant_isolation'
    LOOP
        col := CASE WHEN t.tablename = 'tenants' THEN 'id' ELSE 'tenant_id' END;
        EXECUTE format(
            'ALTER POLICY tenant_isolation ON %I '
            'USING (castellan_tenant_visible(%I)) WITH CHECK (castellan_tenant_visible(%I))',
            t.tablename, col, col);
    END LOOP;
END $$;
DROP FUNCTION castellan_tenant_setting();
DROP FUNCTION castellan_current_tenant();
