//! amysql: an async MySQL/MariaDB client for tokio.
#![forbid(unsafe_code)]

mod error;
pub mod protocol;

pub use error::{client_code, Error, ErrorKind, Result, ServerError};
pub use protocol::column::Column;
