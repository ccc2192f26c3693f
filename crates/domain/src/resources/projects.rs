//! FlowTrack projects.

use super::common::{DESCRIPTION, NAME};
use crate::resource::ResourceDef;

/// `/projects`: what workflows belong to.
pub const PROJECTS: ResourceDef = ResourceDef::new(
    "project",
    "projects",
    "Project",
    "FlowTrack projects, guarded by the access rules of the element `project`; a project with workflows cannot be deleted (409).",
    &[NAME, DESCRIPTION],
);
