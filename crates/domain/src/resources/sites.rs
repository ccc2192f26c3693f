//! Pharma manufacturing sites.

use super::common::NAME;
use super::countries::COUNTRIES;
use crate::resource::{Field, ResourceDef};

/// `/sites`: where batches are made; a site with batches cannot be deleted (409), and an
/// inactive one takes no new batches (409).
pub const SITES: ResourceDef = ResourceDef::new(
    "site",
    "sites",
    "Site",
    "Pharma manufacturing sites, guarded by the access rules of the element `site`; `code` is unique in the tenant (409), a site with batches cannot be deleted (409).",
    &[
        Field::code("code", 50)
            .orderable()
            .searchable()
            .unique_per_tenant()
            .about("1–50 of `[A-Za-z0-9._-]`, unique in the tenant (else 409)."),
        NAME,
        Field::one_of("country", COUNTRIES)
            .about("An assigned ISO 3166-1 alpha-2 code, upper-case."),
        Field::boolean("is_active")
            .default_bool(true)
            .filterable()
            .about("Whether it takes new batches (default true)."),
    ],
);
