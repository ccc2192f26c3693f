DROP INDEX articles_owner_created_idx;
DROP INDEX articles_tenant_updated_idx;
DROP INDEX articles_tenant_title_idx;
