-- Pharma: sites, their batches, and the batches' serializations and inspections (see the
-- PostgreSQL migration for the indexes' purpose). SQLite names the columns of a unique
-- constraint that fails, the field last. A parent with children cannot be deleted.

CREATE TABLE sites (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    owner_id    TEXT NOT NULL REFERENCES users (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL CHECK (country GLOB '[A-Z][A-Z]'),
    is_active   BOOLEAN NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT sites_code_key UNIQUE (tenant_id, code)
);
CREATE INDEX sites_tenant_created_idx ON sites (tenant_id, created_at DESC, id DESC);
CREATE INDEX sites_owner_created_idx ON sites (owner_id, created_at DESC, id DESC);
CREATE INDEX sites_tenant_country_created_idx ON sites (tenant_id, country, created_at DESC, id DESC);
CREATE INDEX sites_tenant_active_created_idx ON sites (tenant_id, is_active, created_at DESC, id DESC);
CREATE INDEX sites_tenant_name_idx ON sites (tenant_id, name);
CREATE INDEX sites_tenant_updated_idx ON sites (tenant_id, updated_at DESC);

CREATE TABLE batches (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    owner_id        TEXT NOT NULL REFERENCES users (id),
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    product_code    TEXT NOT NULL,
    lot_number      TEXT NOT NULL,
    manufactured_at TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'released', 'quarantined', 'recalled')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CONSTRAINT batches_lot_number_key UNIQUE (site_id, lot_number)
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
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    owner_id      TEXT NOT NULL REFERENCES users (id),
    batch_id      TEXT NOT NULL REFERENCES batches (id) ON DELETE RESTRICT,
    serial_number TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'commissioned'
                  CHECK (status IN ('commissioned', 'packed', 'shipped', 'decommissioned')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT serializations_serial_number_key UNIQUE (tenant_id, serial_number)
);
CREATE INDEX serializations_tenant_created_idx ON serializations (tenant_id, created_at DESC, id DESC);
CREATE INDEX serializations_owner_created_idx ON serializations (owner_id, created_at DESC, id DESC);
CREATE INDEX serializations_batch_created_idx ON serializations (batch_id, created_at DESC, id DESC);
CREATE INDEX serializations_tenant_status_created_idx ON serializations (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX serializations_tenant_updated_idx ON serializations (tenant_id, updated_at DESC);

CREATE TABLE inspections (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    owner_id     TEXT NOT NULL REFERENCES users (id),
    batch_id     TEXT NOT NULL REFERENCES batches (id) ON DELETE RESTRICT,
    result       TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'conditional')),
    notes        TEXT NOT NULL DEFAULT '',
    inspected_at TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX inspections_tenant_created_idx ON inspections (tenant_id, created_at DESC, id DESC);
CREATE INDEX inspections_owner_created_idx ON inspections (owner_id, created_at DESC, id DESC);
-- Also what the release rule asks: has this batch a passing inspection?
CREATE INDEX inspections_batch_created_idx ON inspections (batch_id, created_at DESC, id DESC);
CREATE INDEX inspections_tenant_result_created_idx ON inspections (tenant_id, result, created_at DESC, id DESC);
CREATE INDEX inspections_tenant_inspected_idx ON inspections (tenant_id, inspected_at);
CREATE INDEX inspections_tenant_updated_idx ON inspections (tenant_id, updated_at DESC);
