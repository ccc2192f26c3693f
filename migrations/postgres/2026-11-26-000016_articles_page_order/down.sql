CREATE INDEX articles_tenant_created_idx ON articles (tenant_id, created_at DESC);
DROP INDEX articles_tenant_created_id_idx;
