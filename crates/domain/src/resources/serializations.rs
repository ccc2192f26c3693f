//! Pharma serializations: the serial numbers of a batch's units.

use super::BATCHES;
use crate::resource::{Field, ResourceDef};

/// `/serializations`: one serial number of a batch, unique in the tenant.
pub const SERIALIZATIONS: ResourceDef = ResourceDef::new(
    "serialization",
    "serializations",
    "Serialization",
    "Serial numbers of batch units, guarded by the access rules of the element `serialization`; `serial_number` is unique in the tenant (409).",
    &[
        Field::parent("batch_id", &BATCHES).about("Its batch (one the caller may read)."),
        Field::code("serial_number", 100)
            .orderable()
            .searchable()
            .unique_per_tenant()
            .about("1–100 of `[A-Za-z0-9._-]`, unique in the tenant (else 409)."),
        Field::one_of(
            "status",
            &["commissioned", "packed", "shipped", "decommissioned"],
        )
        .default_text("commissioned")
        .about("`commissioned` (the default), `packed`, `shipped` or `decommissioned`."),
    ],
);
