//! `Executor`: what a typed query runs on.
//!
//! Every executor comes down to a `&mut Connection` for the duration of one query; the
//! only difference is who owns the connection meanwhile. A pool lends one (the
//! `PooledConnection` lives inside the query's future or stream and goes back to the
//! pool when that ends), everything else is borrowed.
//!
//! The trait converts into a concrete enum, [`Target`], instead of having an associated
//! connection type and an `impl Future` method. That is deliberate: a query's future
//! that holds `<E as Executor<'c>>::Conn` or the trait's future across an `.await`
//! fails the `Send` check in handler-shaped code ("implementation of `Send` is not
//! general enough", rust-lang/rust#100013), because the compiler forgets that `'c`
//! ties the two together. Concrete types do not have that problem.

use std::ops::{Deref, DerefMut};

use crate::conn::Connection;
use crate::error::Result;
use crate::pool::{Pool, PooledConnection};
use crate::transaction::{Transaction, TwoPhaseTransaction};

/// Something a query can run on: `&Pool`, `&mut Connection`, `&mut PooledConnection`,
/// `&mut Transaction<'_>`, `&mut TwoPhaseTransaction<'_>` (and `&mut *tx`, which is a
/// `&mut Connection`). Owned `Pool` and `PooledConnection` values work too, which gives
/// `'static` streams.
///
/// ```no_run
/// # async fn demo(pool: amysql::Pool, mut conn: amysql::Connection) -> amysql::Result<()> {
/// let q = || amysql::query_scalar::<i64>("SELECT 1");
/// q().fetch_one(&pool).await?;
/// q().fetch_one(&mut conn).await?;
/// let mut pooled = pool.acquire().await?;
/// q().fetch_one(&mut pooled).await?;
/// # Ok(()) }
/// ```
///
/// A wrapper type of your own can be an executor by lending its connection:
/// `Target::Connection(&mut self.conn)`.
pub trait Executor<'c>: Send {
    /// Where the query's connection comes from.
    fn into_target(self) -> Target<'c>;
}

/// Where a query gets its connection (see [`Executor`]).
#[non_exhaustive]
pub enum Target<'c> {
    /// A connection lent for the query.
    Connection(&'c mut Connection),
    /// A pool to acquire from; the connection goes back when the query (or its stream)
    /// is done.
    Pool(&'c Pool),
    /// An owned pool handle (pools are cheap to clone): for `'static` streams.
    OwnedPool(Pool),
    /// A pooled connection the query owns and returns to its pool when done.
    Pooled(PooledConnection),
}

impl<'c> Target<'c> {
    /// The connection, acquiring one when the target is a pool.
    pub(crate) async fn connection(self) -> Result<Lent<'c>> {
        match self {
            Target::Connection(c) => Ok(Lent::Borrowed(c)),
            Target::Pool(pool) => pool.acquire().await.map(Lent::Pooled),
            Target::OwnedPool(pool) => pool.acquire().await.map(Lent::Pooled),
            Target::Pooled(c) => Ok(Lent::Pooled(c)),
        }
    }
}

/// The connection a query runs on: borrowed, or pooled and owned until the query ends.
pub(crate) enum Lent<'c> {
    Borrowed(&'c mut Connection),
    Pooled(PooledConnection),
}

impl Deref for Lent<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Lent::Borrowed(c) => c,
            Lent::Pooled(c) => c,
        }
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            Lent::Borrowed(c) => c,
            Lent::Pooled(c) => c,
        }
    }
}

impl<'c> Executor<'c> for &'c mut Connection {
    fn into_target(self) -> Target<'c> {
        Target::Connection(self)
    }
}

impl<'c> Executor<'c> for &'c mut PooledConnection {
    fn into_target(self) -> Target<'c> {
        Target::Connection(self)
    }
}

impl Executor<'static> for PooledConnection {
    fn into_target(self) -> Target<'static> {
        Target::Pooled(self)
    }
}

impl<'c> Executor<'c> for &'c Pool {
    fn into_target(self) -> Target<'c> {
        Target::Pool(self)
    }
}

impl Executor<'static> for Pool {
    fn into_target(self) -> Target<'static> {
        Target::OwnedPool(self)
    }
}

impl<'c> Executor<'c> for &'c mut Transaction<'_> {
    fn into_target(self) -> Target<'c> {
        Target::Connection(self)
    }
}

impl<'c> Executor<'c> for &'c mut TwoPhaseTransaction<'_> {
    fn into_target(self) -> Target<'c> {
        Target::Connection(self)
    }
}
