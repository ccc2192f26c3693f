//! [`Cached`]: a statement prepared once per connection and reused.
//!
//! diesel prepares `UPDATE` and upsert statements anew every time they run (a changeset's
//! optional fields can change their SQL), which on PostgreSQL costs one more round trip and
//! a parse and plan per run. The statements wrapped here have a fixed SQL text, so the
//! connection's statement cache, keyed by that text, holds one entry for each: the hot
//! writes (a refresh's rotation, every audit entry's chain step) pay neither.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// `statement`, cached by its SQL text (which must not vary between runs: no optional
/// changeset fields, no lists of varying length).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cached<Q>(pub Q);

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}
