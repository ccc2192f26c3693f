//! [`Pipeline`]: statements of a transaction sent back to back.
//!
//! A statement that needs nothing from the answer of the one before it need not wait for
//! that answer: on PostgreSQL both go out at once and their answers come back together
//! (pipelining), which saves a round trip, and inside a transaction that holds a lock (an
//! audit chain's head) the lock is held one round trip less. SQLite runs in process: the
//! statements run in turn.
//!
//! Only for statements independent of each other's order: one that is not yet prepared
//! on the connection is sent after its preparation's round trip, possibly after the other.
//!
//! ```text
//! let (session, inserted, user) = c.pipeline3(
//!     |c| Box::pin(async move { update_session.get_result(c).await.optional() }),
//!     |c| Box::pin(async move { insert_token.execute(c).await }),
//!     |c| Box::pin(async move { user_query.load(c).await }),
//! ).await?;
//! ```

use crate::backend::{PgConn, SqliteConn};
use diesel::QueryResult;
use futures::future::BoxFuture;
use std::future::Future;

/// A connection that can run three statements of one transaction as a pipeline.
pub(crate) trait Pipeline: Send {
    /// What each statement runs on: a shared borrow of the PostgreSQL connection (which
    /// interleaves requests on one socket), the SQLite connection itself.
    type Lane<'l>: Send;

    /// Runs `first`, `second` and `third`, which must not depend on each other's order:
    /// on PostgreSQL together, on SQLite in turn. An error of any is the result (the
    /// transaction around them rolls back).
    fn pipeline3<'l, A, B, C, FA, FB, FC>(
        &'l mut self,
        first: FA,
        second: FB,
        third: FC,
    ) -> impl Future<Output = QueryResult<(A, B, C)>> + Send + 'l
    where
        A: Send + 'l,
        B: Send + 'l,
        C: Send + 'l,
        FA: for<'x> FnOnce(&'x mut Self::Lane<'l>) -> BoxFuture<'x, QueryResult<A>> + Send + 'l,
        FB: for<'x> FnOnce(&'x mut Self::Lane<'l>) -> BoxFuture<'x, QueryResult<B>> + Send + 'l,
        FC: for<'x> FnOnce(&'x mut Self::Lane<'l>) -> BoxFuture<'x, QueryResult<C>> + Send + 'l;
}

impl Pipeline for &PgConn {
    type Lane<'l> = &'l PgConn;

    fn pipeline3<'l, A, B, C, FA, FB, FC>(
        &'l mut self,
        first: FA,
        second: FB,
        third: FC,
    ) -> impl Future<Output = QueryResult<(A, B, C)>> + Send + 'l
    where
        A: Send + 'l,
        B: Send + 'l,
        C: Send + 'l,
        FA: for<'x> FnOnce(&'x mut &'l PgConn) -> BoxFuture<'x, QueryResult<A>> + Send + 'l,
        FB: for<'x> FnOnce(&'x mut &'l PgConn) -> BoxFuture<'x, QueryResult<B>> + Send + 'l,
        FC: for<'x> FnOnce(&'x mut &'l PgConn) -> BoxFuture<'x, QueryResult<C>> + Send + 'l,
    {
        let shared: &'l PgConn = self;
        async move {
            let (mut one, mut two, mut three) = (shared, shared, shared);
            // Polling all sends all before any answer is read.
            futures::try_join!(first(&mut one), second(&mut two), third(&mut three))
        }
    }
}

impl Pipeline for SqliteConn {
    type Lane<'l> = SqliteConn;

    async fn pipeline3<'l, A, B, C, FA, FB, FC>(
        &'l mut self,
        first: FA,
        second: FB,
        third: FC,
    ) -> QueryResult<(A, B, C)>
    where
        A: Send + 'l,
        B: Send + 'l,
        C: Send + 'l,
        FA: for<'x> FnOnce(&'x mut SqliteConn) -> BoxFuture<'x, QueryResult<A>> + Send + 'l,
        FB: for<'x> FnOnce(&'x mut SqliteConn) -> BoxFuture<'x, QueryResult<B>> + Send + 'l,
        FC: for<'x> FnOnce(&'x mut SqliteConn) -> BoxFuture<'x, QueryResult<C>> + Send + 'l,
    {
        let a = first(self).await?;
        let b = second(self).await?;
        let c = third(self).await?;
        Ok((a, b, c))
    }
}
