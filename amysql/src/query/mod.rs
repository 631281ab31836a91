//! The typed query layer: `query`, `query_as`, `query_scalar` (and the `query!` macros,
//! which build the same types), run on any [`Executor`].
//!
//! ```no_run
//! # async fn demo(pool: amysql::Pool) -> amysql::Result<()> {
//! #[derive(amysql::FromRow)]
//! struct User { id: i64, #[amysql(rename = "user_name")] name: String, email: Option<String> }
//!
//! let u: User = amysql::query_as("SELECT id, user_name, email FROM users WHERE id = %s")
//!     .bind(7)
//!     .fetch_one(&pool)
//!     .await?;
//! let n: i64 = amysql::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&pool).await?;
//! let r = amysql::query("UPDATE users SET email = %(email)s WHERE id = %(id)s")
//!     .bind_named("email", "a@example.com")
//!     .bind_named("id", 7)
//!     .execute(&pool)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Parameters use the same `%s` / `%(name)s` syntax and client-side escaping as
//! cursors. A query without any bound parameter is sent verbatim (so `'100%'` needs no
//! doubling), as `cursor.execute(sql)` does.

/// Runs `self`'s statement on `executor`'s connection under its statement timeout,
/// `kill_on_drop` and span (conn/timeout.rs, trace.rs): send, then `$read`, bounded by
/// the deadline. With none of them (the defaults, no subscriber) this is the plain
/// send-then-read, and the rest lives behind a box: inline, its futures (a `Timeout`,
/// the injected send paths, the instrumented copy) made every query's future several
/// times larger, and moving it cost ~400 instructions a point query in memcpy.
macro_rules! run_statement {
    ($self:ident, $executor:ident, |$conn:ident| $read:expr) => {{
        let mut lent = $executor.into_target().connection().await?;
        let mut st = lent.begin_statement($self.timeout, $self.sql, crate::trace::Kind::Query);
        if st.is_plain() && !lent.options().kill_on_drop {
            let $conn: &mut crate::conn::Connection = &mut lent;
            run::send($conn, $self.sql, &$self.args).await?;
            $read.await
        } else {
            Box::pin(async {
                let injection = st.injection();
                // Written out twice so that an unobserved timed statement runs without a
                // span wrapper.
                macro_rules! work {
                    () => {
                        crate::conn::timeout::bounded(st.deadline(), async {
                            let $conn: &mut crate::conn::Connection = &mut lent;
                            run::send_timed($conn, $self.sql, &$self.args, injection.as_ref()).await?;
                            $conn.arm_kill_on_drop(&mut st);
                            $read.await
                        })
                    };
                }
                let outcome = match st.span() {
                    None => work!().await,
                    Some(span) => tracing::Instrument::instrument(work!(), span).await,
                };
                lent.end_statement(st, outcome).await
            })
            .await
        }
    }};
}

mod args;
mod executor;
#[doc(hidden)]
pub mod private;
mod run;
mod stream;

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

#[doc(hidden)]
pub use args::MacroArgs;
pub use args::{Bind, BindNamed, NamedArgs, PositionalArgs, QueryArgs};
pub use executor::Executor;
pub use stream::RowStream;

use crate::conn::commands::QueryResult;
use crate::error::{Error, Result};
use crate::row::{FromRow, Row};
use crate::value::{FromSql, Params, ToSql};
use run::{Decoder, Scalar, Typed, Untyped};

/// A query that returns untyped [`Row`]s or is executed for its effect.
#[must_use = "a query does nothing until it is executed or fetched"]
#[derive(Clone)]
pub struct Query<'q, A = ()> {
    sql: &'q str,
    args: A,
    /// `.timeout(d)`: overrides the connection's `statement_timeout` (zero: none).
    timeout: Option<Duration>,
}

/// A query whose rows decode into `T` through [`FromRow`].
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryAs<'q, T, A = ()> {
    query: Query<'q, A>,
    row: PhantomData<fn() -> T>,
}

/// A query whose rows are one value of type `T` (the first column).
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryScalar<'q, T, A = ()> {
    query: Query<'q, A>,
    value: PhantomData<fn() -> T>,
}

/// A query; bind `%s` values with `.bind(v)`, `%(name)s` values with `.bind_named(k, v)`.
pub fn query(sql: &str) -> Query<'_> {
    Query { sql, args: (), timeout: None }
}

/// A query with a parameter set known only at run time (a `Vec<Value>`, a map, a
/// `#[derive(Params)]` struct, `params!`).
pub fn query_with<P: Params>(sql: &str, params: P) -> Query<'_, P> {
    Query { sql, args: params, timeout: None }
}

/// A query whose rows decode into `T`.
pub fn query_as<T: FromRow>(sql: &str) -> QueryAs<'_, T> {
    QueryAs::new(query(sql))
}

/// [`query_as`] with a whole parameter set.
pub fn query_as_with<T: FromRow, P: Params>(sql: &str, params: P) -> QueryAs<'_, T, P> {
    QueryAs::new(query_with(sql, params))
}

/// A query that returns one value: the first column of its rows.
pub fn query_scalar<T: FromSql>(sql: &str) -> QueryScalar<'_, T> {
    QueryScalar::new(query(sql))
}

/// [`query_scalar`] with a whole parameter set.
pub fn query_scalar_with<T: FromSql, P: Params>(sql: &str, params: P) -> QueryScalar<'_, T, P> {
    QueryScalar::new(query_with(sql, params))
}

// Debug shows the SQL only: bound values may be secrets, and the macros' writers are
// closures without a Debug impl.
impl<A> fmt::Debug for Query<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query").field("sql", &self.sql).finish_non_exhaustive()
    }
}

impl<T, A> fmt::Debug for QueryAs<'_, T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryAs").field("sql", &self.query.sql).finish_non_exhaustive()
    }
}

impl<T, A> fmt::Debug for QueryScalar<'_, T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryScalar").field("sql", &self.query.sql).finish_non_exhaustive()
    }
}

impl<'q, A> Query<'q, A> {
    pub(crate) fn with_args(sql: &'q str, args: A) -> Self {
        Query { sql, args, timeout: None }
    }

    /// Bounds this statement, from sending it to reading its last row, overriding
    /// `ConnectOptions::statement_timeout`; `Duration::ZERO` runs it without a timeout.
    /// When it passes the server stops the statement (or it is killed) and the query
    /// returns `Error::Timeout`; the connection stays usable. See
    /// [`ConnectOptions::statement_timeout`](crate::ConnectOptions::statement_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The SQL as written (placeholders not substituted).
    pub fn sql(&self) -> &'q str {
        self.sql
    }

    /// Binds the value of the next `%s`. The value is moved in; pass `&v` to lend it.
    pub fn bind<V: ToSql>(self, value: V) -> Query<'q, Bind<A, V>>
    where
        A: PositionalArgs,
    {
        Query { sql: self.sql, args: Bind { prev: self.args, value }, timeout: self.timeout }
    }

    /// Binds the value of `%(name)s`.
    pub fn bind_named<V: ToSql>(self, name: &'q str, value: V) -> Query<'q, BindNamed<'q, A, V>>
    where
        A: NamedArgs,
    {
        Query { sql: self.sql, args: BindNamed { prev: self.args, name, value }, timeout: self.timeout }
    }
}

impl<'q, A: QueryArgs> Query<'q, A> {
    /// Runs the query for its effect: rows affected and warnings are summed over the
    /// statements of a multi-statement query; rows, if any, are read and discarded.
    pub async fn execute<'c, E: Executor<'c>>(self, executor: E) -> Result<QueryResult> {
        run_statement!(self, executor, |conn| run::execute(conn))
    }

    /// Every row (of every result set).
    pub async fn fetch_all<'c, E: Executor<'c>>(self, executor: E) -> Result<Vec<Row>> {
        self.all::<E, Untyped>(executor).await
    }

    /// The first row; `Error::RowNotFound` when there is none.
    pub async fn fetch_one<'c, E: Executor<'c>>(self, executor: E) -> Result<Row> {
        self.fetch_optional(executor).await?.ok_or(Error::RowNotFound)
    }

    /// The first row, if any. The other rows are not decoded (the connection discards
    /// them before its next command).
    pub async fn fetch_optional<'c, E: Executor<'c>>(self, executor: E) -> Result<Option<Row>> {
        self.first::<E, Untyped>(executor).await
    }

    /// The rows as a stream, read from the socket as they are consumed.
    pub fn fetch<'c, E>(self, executor: E) -> RowStream<'c, Row>
    where
        'q: 'c,
        E: Executor<'c>,
        A: Send + Sync + 'c,
    {
        stream::row_stream::<E, A, Untyped>(executor, self.sql, self.args, self.timeout)
    }

    async fn all<'c, E: Executor<'c>, D: Decoder>(self, executor: E) -> Result<Vec<D::Output>> {
        run_statement!(self, executor, |conn| run::fetch_all::<D>(conn))
    }

    async fn first<'c, E: Executor<'c>, D: Decoder>(self, executor: E) -> Result<Option<D::Output>> {
        run_statement!(self, executor, |conn| run::fetch_optional::<D>(conn))
    }
}

impl<'q, T, A> QueryAs<'q, T, A> {
    pub(crate) fn new(query: Query<'q, A>) -> Self {
        QueryAs { query, row: PhantomData }
    }

    /// The SQL as written.
    pub fn sql(&self) -> &'q str {
        self.query.sql
    }

    /// Bounds this statement (see [`Query::timeout`]).
    pub fn timeout(self, timeout: Duration) -> Self {
        QueryAs::new(self.query.timeout(timeout))
    }

    /// Binds the value of the next `%s`.
    pub fn bind<V: ToSql>(self, value: V) -> QueryAs<'q, T, Bind<A, V>>
    where
        A: PositionalArgs,
    {
        QueryAs::new(self.query.bind(value))
    }

    /// Binds the value of `%(name)s`.
    pub fn bind_named<V: ToSql>(self, name: &'q str, value: V) -> QueryAs<'q, T, BindNamed<'q, A, V>>
    where
        A: NamedArgs,
    {
        QueryAs::new(self.query.bind_named(name, value))
    }
}

impl<'q, T: FromRow, A: QueryArgs> QueryAs<'q, T, A> {
    /// Every row (of every result set), each decoded straight from its packet.
    pub async fn fetch_all<'c, E: Executor<'c>>(self, executor: E) -> Result<Vec<T>> {
        self.query.all::<E, Typed<T>>(executor).await
    }

    /// The first row; `Error::RowNotFound` when there is none.
    pub async fn fetch_one<'c, E: Executor<'c>>(self, executor: E) -> Result<T> {
        self.fetch_optional(executor).await?.ok_or(Error::RowNotFound)
    }

    /// The first row, if any.
    pub async fn fetch_optional<'c, E: Executor<'c>>(self, executor: E) -> Result<Option<T>> {
        self.query.first::<E, Typed<T>>(executor).await
    }

    /// The rows as a stream, read from the socket as they are consumed; nothing is
    /// buffered beyond the packet being decoded.
    pub fn fetch<'c, E>(self, executor: E) -> RowStream<'c, T>
    where
        'q: 'c,
        E: Executor<'c>,
        A: Send + Sync + 'c,
        T: Send + 'c,
    {
        stream::row_stream::<E, A, Typed<T>>(executor, self.query.sql, self.query.args, self.query.timeout)
    }
}

impl<'q, T, A> QueryScalar<'q, T, A> {
    pub(crate) fn new(query: Query<'q, A>) -> Self {
        QueryScalar { query, value: PhantomData }
    }

    /// The SQL as written.
    pub fn sql(&self) -> &'q str {
        self.query.sql
    }

    /// Bounds this statement (see [`Query::timeout`]).
    pub fn timeout(self, timeout: Duration) -> Self {
        QueryScalar::new(self.query.timeout(timeout))
    }

    /// Binds the value of the next `%s`.
    pub fn bind<V: ToSql>(self, value: V) -> QueryScalar<'q, T, Bind<A, V>>
    where
        A: PositionalArgs,
    {
        QueryScalar::new(self.query.bind(value))
    }

    /// Binds the value of `%(name)s`.
    pub fn bind_named<V: ToSql>(self, name: &'q str, value: V) -> QueryScalar<'q, T, BindNamed<'q, A, V>>
    where
        A: NamedArgs,
    {
        QueryScalar::new(self.query.bind_named(name, value))
    }
}

impl<'q, T: FromSql, A: QueryArgs> QueryScalar<'q, T, A> {
    /// The first column of every row.
    pub async fn fetch_all<'c, E: Executor<'c>>(self, executor: E) -> Result<Vec<T>> {
        self.query.all::<E, Scalar<T>>(executor).await
    }

    /// The first column of the first row; `Error::RowNotFound` when there is no row.
    pub async fn fetch_one<'c, E: Executor<'c>>(self, executor: E) -> Result<T> {
        self.fetch_optional(executor).await?.ok_or(Error::RowNotFound)
    }

    /// The first column of the first row, if there is a row.
    pub async fn fetch_optional<'c, E: Executor<'c>>(self, executor: E) -> Result<Option<T>> {
        self.query.first::<E, Scalar<T>>(executor).await
    }

    /// The first column of each row, as a stream.
    pub fn fetch<'c, E>(self, executor: E) -> RowStream<'c, T>
    where
        'q: 'c,
        E: Executor<'c>,
        A: Send + Sync + 'c,
        T: Send + 'c,
    {
        stream::row_stream::<E, A, Scalar<T>>(executor, self.query.sql, self.query.args, self.query.timeout)
    }
}
