//! amysql: an async MySQL/MariaDB client for tokio.
#![forbid(unsafe_code)]

#[doc(hidden)]
#[path = "fuzz_api.rs"]
pub mod __fuzz; // the `fuzz/` target's entry points
pub mod conn;
pub mod cursor;
mod error;
pub mod io;
pub mod migrate;
mod opts;
pub mod pool;
pub mod protocol;
pub mod query;
pub mod row;
#[cfg(feature = "json")]
mod row_serde;
#[cfg(feature = "sea-query")]
pub mod sea_query;
pub mod trace;
pub mod transaction;
pub mod value;

pub use conn::auth_plugin::{AuthContext, AuthPlugin};
pub use conn::commands::{QueryResult, Warning};
pub use conn::local_infile::{LocalInfile, LocalInfileHandler};
pub use conn::{connect, Connection};
pub use cursor::{ColumnDescription, Cursor, DictCursor, GenericCursor, SSCursor, SSDictCursor, ScrollMode};
pub use error::{client_code, Error, ErrorKind, Result, ServerError};
pub use opts::{ConnectOptions, IntoConnectOptions, ProviderResult, SslMode};
pub use pool::{create_pool, Pool, PoolOptions, PoolStatus, PooledConnection};
pub use protocol::column::Column;
pub use protocol::compressed::Compression;
pub use query::{
    query, query_as, query_as_with, query_scalar, query_scalar_with, query_with, Executor, Query, QueryAs, QueryScalar,
    RowStream,
};
pub use row::{ColumnIndex, ColumnSet, DictRow, FromRow, Row, RowRef};
pub use transaction::{BoxFuture, IsolationLevel, RetryableError, Transaction, TwoPhaseTransaction, TxOptions};
// `#[derive(FromRow)]` and `#[derive(Params)]` share their names with the traits (derive
// macros live in the macro namespace, as serde's do).
pub use amysql_macros::{migrate, query, query_as, query_scalar, FromRow, Params};
#[doc(hidden)]
pub use query::private as __private;
pub use value::{Date, DateTime, FormatContext, FromSql, Json, Params, SqlTemplate, Time, ToSql, Value};
