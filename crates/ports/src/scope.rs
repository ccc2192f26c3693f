//! Which tenant's rows the current request may touch: the context PostgreSQL's row-level
//! security policies read (the second wall behind the application's own tenant checks).
//!
//! A request starts in [`DataScope::System`] (authentication, registration, superusers see
//! every tenant); authenticating a non-superuser narrows it to their tenant for the rest of
//! the request. Database adapters apply [`current`] to each connection they hand out.

use std::cell::Cell;
use std::future::Future;
use uuid::Uuid;

/// The rows a task may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataScope {
    /// Every tenant (system work, superusers).
    System,
    /// One tenant.
    Tenant(Uuid),
}

tokio::task_local! {
    static SCOPE: Cell<DataScope>;
}

/// Runs `future` with `scope` as its data scope (narrowable from within).
pub async fn scoped<F: Future>(scope: DataScope, future: F) -> F::Output {
    SCOPE.scope(Cell::new(scope), future).await
}

/// Narrows the current task's scope (inside [`scoped`]); false outside any scope.
pub fn narrow(scope: DataScope) -> bool {
    SCOPE.try_with(|cell| cell.set(scope)).is_ok()
}

/// The current task's scope; [`DataScope::System`] outside any (CLI, background work).
pub fn current() -> DataScope {
    SCOPE.try_with(Cell::get).unwrap_or(DataScope::System)
}
