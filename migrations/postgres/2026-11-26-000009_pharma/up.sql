-- Pharma: sites, their batches, and the batches' serializations and inspections. As for
-- FlowTrack, indexes serve every list the API offers (the tenant's newest first, one
-- owner's, every exact filter, every ordering); unique keys are named
-- `<table>_<field>_key` so that a taken value is a 409 on that field; a parent with
-- children cannot be deleted (RESTRICT: 409).

CREATE TABLE sites (
    id          uuid PRIMARY KEY NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    code        text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT sites_code_key UNIQUE (tenant_id, code)
);
CREATE INDEX sites_tenant_created_idx ON sites (tenant_id, created_at DESC, id DESC);
CREATE INDEX sites_owner_created_idx ON sites (owner_id, created_at DESC, id DESC);
CREATE INDEX sites_tenant_country_created_idx ON sites (tenant_id, country, created_at DESC, id DESC);
CREATE INDEX sites_tenant_active_created_idx ON sites (tenant_id, is_active, created_at DESC, id DESC);
CREATE INDEX sites_tenant_name_idx ON sites (tenant_id, name);
CREATE INDEX sites_tenant_updated_idx ON sites (tenant_id, updated_at DESC);

CREATE TABLE batches (
    id              uuid PRIMARY KEY NOT NULL,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    owner_id        uuid NOT NULL REFERENCES users (id),
    site_id         uuid NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    product_code    text COLLATE "C" NOT NULL,
    lot_number      text COLLATE "C" NOT NULL,
    manufactured_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'released', 'quarantined', 'recalled')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT batches_lot_number_key UNIQUE (site_id, lot_number),
    CHECK (expires_at > manufactured_at)
);
CREATE INDEX batches_tenant_created_idx ON batches (tenant_id, created_at DESC, id DESC);
CREATE INDEX batches_owner_created_idx ON batches (owner_id, created_at DESC, id DESC);
CREATE INDEX batches_site_created_idx ON batches (site_id, created_at DESC, id DESC);
CREATE INDEX batches_tenant_status_created_idx ON batches (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX batches_tenant_lot_idx ON batches (tenant_id, lot_number);
CREATE INDEX batches_tenant_manufactured_idx ON batches (tenant_id, manufactured_at);
CREATE INDEX batches_tenant_expires_idx ON batches (tenant_id, expires_at);
CREATE INDEX batches_tenant_updated_idx ON batches (tenant_id, updated_at DESC);

CREATE TABLE serializations (
    id            uuid PRIMARY KEY NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    owner_id      uuid NOT NULL REFERENCES users (id),
    batch_id      uuid NOT NULL REFERENCES batches (id) ON DELETE RESTRICT,
    serial_number text COLLATE "C" NOT NULL,
    status        text NOT NULL DEFAULT 'commissioned'
                  CHECK (status IN ('commissioned', 'packed', 'shipped', 'decommissioned')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT serializations_serial_number_key UNIQUE (tenant_id, serial_number)
);
CREATE INDEX serializations_tenant_created_idx ON serializations (tenant_id, created_at DESC, id DESC);
CREATE INDEX serializations_owner_created_idx ON serializations (owner_id, created_at DESC, id DESC);
CREATE INDEX serializations_batch_created_idx ON serializations (batch_id, created_at DESC, id DESC);
CREATE INDEX serializations_tenant_status_created_idx ON serializations (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX serializations_tenant_updated_idx ON serializations (tenant_id, updated_at DESC);

CREATE TABLE inspections (
    id           uuid PRIMARY KEY NOT NULL,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    owner_id     uuid NOT NULL REFERENCES users (id),
    batch_id     uuid NOT NULL REFERENCES batches (id) ON DELETE RESTRICT,
    result       text NOT NULL CHECK (result IN ('pass', 'fail', 'conditional')),
    notes        text NOT NULL DEFAULT '',
    inspected_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX inspections_tenant_created_idx ON inspections (tenant_id, created_at DESC, id DESC);
CREATE INDEX inspections_owner_created_idx ON inspections (owner_id, created_at DESC, id DESC);
-- Also what the release rule asks: has this batch a passing inspection?
CREATE INDEX inspections_batch_created_idx ON inspections (batch_id, created_at DESC, id DESC);
CREATE INDEX inspections_tenant_result_created_idx ON inspections (tenant_id, result, created_at DESC, id DESC);
CREATE INDEX inspections_tenant_inspected_idx ON inspections (tenant_id, inspected_at);
CREATE INDEX inspections_tenant_updated_idx ON inspections (tenant_id, updated_at DESC);

-- Row-level security, as on every tenant table.
ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sites
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON batches
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE serializations ENABLE ROW LEVEL SECURITY;
ALTER TABLE serializations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON serializations
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
ALTER TABLE inspections ENABLE ROW LEVEL SECURITY;
ALTER TABLE inspections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inspections
    USING (castellan_tenant_visible(tenant_id)) WITH CHECK (castellan_tenant_visible(tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON sites, batches, serializations, inspections TO castellan_app;
