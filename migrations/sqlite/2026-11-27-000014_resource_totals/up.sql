-- How many rows each tenant has in each business resource's table, kept by triggers in the
-- writing statement's transaction: a list over a whole tenant reads its `total` here, one
-- row however many the tenant has (see the PostgreSQL migration of the same name).
CREATE TABLE resource_totals (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource   TEXT NOT NULL,
    total      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, resource)
) WITHOUT ROWID;

-- articles
CREATE TRIGGER articles_count_inserted AFTER INSERT ON articles BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'articles', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER articles_count_deleted AFTER DELETE ON articles BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'articles';
END;
CREATE TRIGGER articles_count_moved AFTER UPDATE OF tenant_id ON articles
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'articles';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'articles', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'articles', count(*) FROM articles GROUP BY tenant_id;

-- projects
CREATE TRIGGER projects_count_inserted AFTER INSERT ON projects BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'projects', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER projects_count_deleted AFTER DELETE ON projects BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'projects';
END;
CREATE TRIGGER projects_count_moved AFTER UPDATE OF tenant_id ON projects
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'projects';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'projects', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'projects', count(*) FROM projects GROUP BY tenant_id;

-- workflows
CREATE TRIGGER workflows_count_inserted AFTER INSERT ON workflows BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'workflows', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER workflows_count_deleted AFTER DELETE ON workflows BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'workflows';
END;
CREATE TRIGGER workflows_count_moved AFTER UPDATE OF tenant_id ON workflows
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'workflows';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'workflows', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'workflows', count(*) FROM workflows GROUP BY tenant_id;

-- tasks
CREATE TRIGGER tasks_count_inserted AFTER INSERT ON tasks BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'tasks', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER tasks_count_deleted AFTER DELETE ON tasks BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'tasks';
END;
CREATE TRIGGER tasks_count_moved AFTER UPDATE OF tenant_id ON tasks
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'tasks';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'tasks', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'tasks', count(*) FROM tasks GROUP BY tenant_id;

-- sites
CREATE TRIGGER sites_count_inserted AFTER INSERT ON sites BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'sites', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER sites_count_deleted AFTER DELETE ON sites BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'sites';
END;
CREATE TRIGGER sites_count_moved AFTER UPDATE OF tenant_id ON sites
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'sites';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'sites', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'sites', count(*) FROM sites GROUP BY tenant_id;

-- batches
CREATE TRIGGER batches_count_inserted AFTER INSERT ON batches BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'batches', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER batches_count_deleted AFTER DELETE ON batches BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'batches';
END;
CREATE TRIGGER batches_count_moved AFTER UPDATE OF tenant_id ON batches
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'batches';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'batches', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'batches', count(*) FROM batches GROUP BY tenant_id;

-- serializations
CREATE TRIGGER serializations_count_inserted AFTER INSERT ON serializations BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'serializations', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER serializations_count_deleted AFTER DELETE ON serializations BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'serializations';
END;
CREATE TRIGGER serializations_count_moved AFTER UPDATE OF tenant_id ON serializations
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'serializations';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'serializations', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'serializations', count(*) FROM serializations GROUP BY tenant_id;

-- inspections
CREATE TRIGGER inspections_count_inserted AFTER INSERT ON inspections BEGIN
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'inspections', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER inspections_count_deleted AFTER DELETE ON inspections BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'inspections';
END;
CREATE TRIGGER inspections_count_moved AFTER UPDATE OF tenant_id ON inspections
    WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
    UPDATE resource_totals SET total = total - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'inspections';
    INSERT INTO resource_totals (tenant_id, resource, total) VALUES (NEW.tenant_id, 'inspections', 1)
        ON CONFLICT (tenant_id, resource) DO UPDATE SET total = total + 1;
END;
INSERT INTO resource_totals (tenant_id, resource, total)
    SELECT tenant_id, 'inspections', count(*) FROM inspections GROUP BY tenant_id;
