//! aiomysql's cursors: `Cursor`, `DictCursor`, `SSCursor` and `SSDictCursor`.
//!
//! All four are one type, [`GenericCursor`], told apart by two type parameters: the row
//! type it hands out ([`Row`] or [`DictRow`], see [`CursorRow`]) and whether it reads a
//! whole result set at `execute` ([`Buffered`]) or row by row as it is fetched
//! ([`Unbuffered`]). The state they share (counts, description, executemany, callproc,
//! nextset) lives in one non-generic core so that it is compiled once; only the fetch
//! methods differ between buffered and unbuffered cursors.
//!
//! A cursor borrows its connection mutably for its whole life, so two cursors can never
//! interleave on one connection (PyMySQL's `test_multi_cursor` failure mode cannot be
//! written). Whatever a cursor leaves unread, because it was dropped or simply not read
//! to the end, is drained by the connection before its next command.
//!
//! ```no_run
//! # async fn demo(conn: &mut amysql::Connection) -> amysql::Result<()> {
//! let mut cur = conn.cursor();
//! cur.execute("SELECT id, name FROM users WHERE id > %s", (5,)).await?;
//! while let Some(row) = cur.fetchone().await? {
//!     let (id, name): (i64, String) = (row.get(0)?, row.get("name")?);
//!     println!("{id} {name}");
//! }
//! # Ok(()) }
//! ```

mod buffered;
mod bulk;
mod callproc;
mod core;
mod description;
mod executemany;
mod generic;
mod kind;
mod unbuffered;

use crate::conn::Connection;
use crate::row::{DictRow, Row};

pub use description::ColumnDescription;
pub use generic::GenericCursor;
pub use kind::{Buffered, Buffering, CursorRow, Unbuffered};

/// aiomysql's `Cursor`: buffered, rows are [`Row`]s.
pub type Cursor<'c> = GenericCursor<'c, Row, Buffered>;
/// aiomysql's `DictCursor`: buffered, rows are [`DictRow`]s (name -> value, column order).
pub type DictCursor<'c> = GenericCursor<'c, DictRow, Buffered>;
/// aiomysql's `SSCursor`: unbuffered (server-side), forward-only, constant memory.
pub type SSCursor<'c> = GenericCursor<'c, Row, Unbuffered>;
/// aiomysql's `SSDictCursor`: unbuffered, rows are [`DictRow`]s.
pub type SSDictCursor<'c> = GenericCursor<'c, DictRow, Unbuffered>;

/// How [`GenericCursor::scroll`] interprets its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScrollMode {
    /// Relative to the current position (aiomysql's default).
    #[default]
    Relative,
    /// An absolute 0-based row index.
    Absolute,
}

impl Connection {
    /// A buffered cursor (aiomysql's default `Cursor`).
    pub fn cursor(&mut self) -> Cursor<'_> {
        GenericCursor::new(self)
    }

    /// A buffered cursor whose rows are [`DictRow`]s.
    pub fn dict_cursor(&mut self) -> DictCursor<'_> {
        GenericCursor::new(self)
    }

    /// An unbuffered cursor: rows are read from the socket as they are fetched, so memory
    /// stays constant however large the result; it can only move forward.
    pub fn ss_cursor(&mut self) -> SSCursor<'_> {
        GenericCursor::new(self)
    }

    /// An unbuffered cursor whose rows are [`DictRow`]s.
    pub fn ss_dict_cursor(&mut self) -> SSDictCursor<'_> {
        GenericCursor::new(self)
    }
}
