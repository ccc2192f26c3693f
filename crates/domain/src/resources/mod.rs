//! The business resources Castellan serves, each one declaration ([`ResourceDef`]); the
//! generic machinery of the other layers serves every resource listed in [`ALL`].
//!
//! Adding a resource: write its declaration in a module here, add it to [`ALL`], and add
//! its table to `migrations/postgres` and `migrations/sqlite` (see `docs/resources.md`).

mod articles;
mod batches;
mod common;
mod countries;
mod inspections;
mod projects;
mod serializations;
mod sites;
mod tasks;
mod workflows;

pub use articles::ARTICLES;
pub use batches::{transition, BatchStatus, TransitionRefused, BATCHES, PASSED_INSPECTION};
pub use countries::COUNTRIES;
pub use inspections::INSPECTIONS;
pub use projects::PROJECTS;
pub use serializations::SERIALIZATIONS;
pub use sites::SITES;
pub use tasks::TASKS;
pub use workflows::WORKFLOWS;

use crate::resource::ResourceDef;

/// Every business resource served under `/api/v1/<plural>`, parents before their children.
pub const ALL: &[&ResourceDef] = &[
    &ARTICLES,
    &PROJECTS,
    &WORKFLOWS,
    &TASKS,
    &SITES,
    &BATCHES,
    &SERIALIZATIONS,
    &INSPECTIONS,
];

/// The registered resource guarded by `element`.
///
/// ```
/// use castellan_domain::resources::{by_element, ARTICLES};
/// assert_eq!(by_element("article").map(|d| d.plural), Some(ARTICLES.plural));
/// assert!(by_element("spaceship").is_none());
/// ```
pub fn by_element(element: &str) -> Option<&'static ResourceDef> {
    ALL.iter().copied().find(|def| def.element == element)
}
