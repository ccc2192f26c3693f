//! FlowTrack tasks: the work items of a workflow.

use super::common::{DESCRIPTION, TITLE};
use super::WORKFLOWS;
use crate::resource::{Field, ResourceDef};

/// `/tasks`: belong to a workflow, may be assigned to an active user of the tenant.
pub const TASKS: ResourceDef = ResourceDef::new(
    "task",
    "tasks",
    "Task",
    "FlowTrack tasks, each in a workflow the caller may read; guarded by the access rules of the element `task`.",
    &[
        Field::parent("workflow_id", &WORKFLOWS).about("Its workflow (one the caller may read)."),
        TITLE,
        DESCRIPTION,
        Field::one_of("status", &["todo", "in_progress", "done"])
            .default_text("todo")
            .about("`todo` (the default), `in_progress` or `done`."),
        Field::one_of("priority", &["low", "medium", "high"])
            .default_text("medium")
            .about("`low`, `medium` (the default) or `high`."),
        Field::date("due_date")
            .optional()
            .orderable()
            .about("YYYY-MM-DD, or null."),
        Field::user("assignee_id")
            .optional()
            .about("An active user of the tenant, or null."),
    ],
);
