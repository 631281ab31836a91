//! The two axes cursors vary along: the row type handed out, and buffering.

use crate::row::{DictRow, Row};

/// The row type a cursor hands out, built from the positional [`Row`].
///
/// Implemented for [`Row`] (aiomysql's tuple rows) and [`DictRow`] (DictCursor). Your
/// own wrapper can implement it too, the way aiomysql lets a `DictCursor` subclass set
/// its own `dict_type`.
pub trait CursorRow: Sized {
    /// Wraps a fetched row.
    fn from_row(row: Row) -> Self;
}

impl CursorRow for Row {
    #[inline]
    fn from_row(row: Row) -> Row {
        row
    }
}

impl CursorRow for DictRow {
    #[inline]
    fn from_row(row: Row) -> DictRow {
        DictRow::new(row)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Buffered {}
    impl Sealed for super::Unbuffered {}
}

/// Whether a cursor reads whole result sets at `execute` or streams them. Sealed: the
/// fetch methods of each mode are written for it.
pub trait Buffering: sealed::Sealed {
    /// True for [`Buffered`].
    const BUFFERED: bool;
}

/// `execute` reads the whole result set; rows can be fetched in any order (`scroll`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffered {}

/// Rows are read from the connection as they are fetched (aiomysql's SSCursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbuffered {}

impl Buffering for Buffered {
    const BUFFERED: bool = true;
}

impl Buffering for Unbuffered {
    const BUFFERED: bool = false;
}
