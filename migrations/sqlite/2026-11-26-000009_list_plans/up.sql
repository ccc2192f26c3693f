-- Articles came before the rule "an index for every ordering" (see the PostgreSQL twin).
CREATE INDEX articles_tenant_title_idx ON articles (tenant_id, title);
CREATE INDEX articles_tenant_updated_idx ON articles (tenant_id, updated_at DESC);
CREATE INDEX articles_owner_created_idx ON articles (owner_id, created_at DESC, id DESC);
