-- A page of a tenant's articles is ordered newest first with the id breaking ties
-- (`ORDER BY created_at DESC, id DESC`): the index now holds that whole order, so a page
-- reads its rows from the index in order and stops, however many articles the tenant has,
-- instead of reading every one of them to sort them (the plan PostgreSQL picked for a
-- tenant among many, whose share of the table it estimates low).
CREATE INDEX articles_tenant_created_id_idx ON articles (tenant_id, created_at DESC, id DESC);
DROP INDEX articles_tenant_created_idx;
