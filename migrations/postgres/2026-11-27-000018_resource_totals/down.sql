DO $$
DECLARE
    resource text;
BEGIN
    FOREACH resource IN ARRAY ARRAY['articles', 'projects', 'workflows', 'tasks',
                                    'sites', 'batches', 'serializations', 'inspections']
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', resource || '_count_inserted', resource);
        EXECUTE format('DROP TRIGGER %I ON %I', resource || '_count_deleted', resource);
        EXECUTE format('DROP TRIGGER %I ON %I', resource || '_count_moved', resource);
        EXECUTE format('DROP TRIGGER %I ON %I', resource || '_count_truncated', resource);
    END LOOP;
END
$$;
DROP FUNCTION castellan_count_resource(text);
DROP FUNCTION castellan_count_truncated();
DROP FUNCTION castellan_count_moved();
DROP FUNCTION castellan_count_deleted();
DROP FUNCTION castellan_count_inserted();
DROP TABLE resource_totals;
