//! Pharma inspections: QA results for a batch, frozen once the batch is released.

use super::{BatchStatus, BATCHES};
use crate::resource::{Change, Field, Removal, ResourceDef, Rules, Value, Violation};

/// `/inspections`: the inspector is the owner (the caller who records it).
pub const INSPECTIONS: ResourceDef = ResourceDef::new(
    "inspection",
    "inspections",
    "Inspection",
    "QA inspections of batches, guarded by the access rules of the element `inspection`; the inspector is `owner_id`. An inspection of a released batch cannot be changed or deleted (409).",
    &[
        Field::parent("batch_id", &BATCHES).about("Its batch (one the caller may read)."),
        Field::one_of("result", &["pass", "fail", "conditional"])
            .about("`pass`, `fail` or `conditional`."),
        Field::text("notes", 0, 10_000)
            .default_text("")
            .searchable()
            .about("At most 10,000 characters."),
        Field::timestamp("inspected_at")
            .default_now()
            .orderable()
            .about("RFC 3339; the time of the request when absent."),
    ],
)
.with_rules(Rules {
    on_write: Some(not_of_a_released_batch),
    on_delete: Some(not_removed_from_a_released_batch),
});

fn released(status: Option<&Value>) -> bool {
    status.and_then(Value::as_text) == Some(BatchStatus::Released.as_str())
}

fn frozen() -> Violation {
    Violation::Conflict {
        message: "an inspection of a released batch cannot be changed".into(),
        field: Some("batch_id".into()),
    }
}

/// Changing an inspection is refused while its batch (before or after the change) is
/// released; recording a new one is not.
fn not_of_a_released_batch(change: &Change<'_>) -> Result<(), Violation> {
    let frozen_before = released(change.former_parent_value("batch_id", "status"));
    let frozen_after =
        change.before.is_some() && released(change.parent_value("batch_id", "status"));
    match frozen_before || frozen_after {
        true => Err(frozen()),
        false => Ok(()),
    }
}

/// Deleting an inspection of a released batch is refused.
fn not_removed_from_a_released_batch(removal: &Removal<'_>) -> Result<(), Violation> {
    match released(removal.parent_value("batch_id", "status")) {
        true => Err(frozen()),
        false => Ok(()),
    }
}
