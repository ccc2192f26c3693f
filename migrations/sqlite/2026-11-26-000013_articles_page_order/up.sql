-- The whole order of a page (`created_at DESC, id DESC`) in the tenant's index: no sort
-- of the tenant's articles for the tie-break.
CREATE INDEX articles_tenant_created_id_idx ON articles (tenant_id, created_at DESC, id DESC);
DROP INDEX articles_tenant_created_idx;
