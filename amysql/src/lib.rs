//! amysql: an async MySQL/MariaDB client for tokio.
#![forbid(unsafe_code)]

pub mod conn;
mod error;
pub mod io;
mod opts;
pub mod pool;
pub mod migrate;
pub mod protocol;
pub mod row;
pub mod value;

pub use conn::commands::{QueryResult, Warning};
pub use conn::local_infile::{LocalInfile, LocalInfileHandler};
pub use conn::{connect, Connection};
pub use error::{client_code, Error, ErrorKind, Result, ServerError};
pub use opts::{ConnectOptions, IntoConnectOptions, SslMode};
pub use pool::{create_pool, Pool, PoolOptions, PooledConnection};
pub use protocol::column::Column;
pub use row::{ColumnIndex, ColumnSet, DictRow, FromRow, Row, RowRef};
pub use value::{Date, DateTime, FormatContext, FromSql, Json, Params, SqlTemplate, Time, ToSql, Value};
