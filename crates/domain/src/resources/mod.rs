//! The business resources Castellan serves, each one declaration ([`ResourceDef`]); the
//! generic machinery of the other layers serves every resource listed in [`ALL`].
//!
//! Adding a resource: write its declaration in a module here, add it to [`ALL`], and add
//! its table to `migrations/postgres` and `migrations/sqlite` (see `docs/resources.md`).

mod articles;

pub use articles::ARTICLES;

use crate::resource::ResourceDef;

/// Every business resource served under `/api/v1/<plural>`.
pub const ALL: &[&ResourceDef] = &[&ARTICLES];

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
