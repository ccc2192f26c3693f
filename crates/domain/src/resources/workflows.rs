//! FlowTrack workflows: the steps of a project.

use super::common::{DESCRIPTION, NAME};
use super::PROJECTS;
use crate::resource::{Field, ResourceDef};

/// `/workflows`: belong to a project; a workflow with tasks cannot be deleted (409).
pub const WORKFLOWS: ResourceDef = ResourceDef::new(
    "workflow",
    "workflows",
    "Workflow",
    "FlowTrack workflows, each in a project the caller may read; guarded by the access rules of the element `workflow`.",
    &[
        Field::parent("project_id", &PROJECTS).about("Its project (one the caller may read)."),
        NAME,
        DESCRIPTION,
    ],
);
