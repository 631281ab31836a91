//! Fetching from buffered cursors (`Cursor`, `DictCursor`): the whole result set was read
//! at execute, so fetches never touch the connection and `scroll` may go anywhere.

use super::core::decode_packet;
use super::generic::GenericCursor;
use super::kind::{Buffered, CursorRow};
use super::ScrollMode;
use crate::error::{Error, Result};
use crate::row::FromRow;

impl<R: CursorRow> GenericCursor<'_, R, Buffered> {
    /// The row range `[rownumber, end)` clamped to the result.
    fn span(&self, end: usize) -> Result<std::ops::Range<usize>> {
        self.core.check_executed()?;
        let len = self.core.rows.len();
        let start = self.core.rownumber.min(len);
        Ok(start..end.clamp(start, len))
    }

    /// The next row, or `None` at the end of the result (or for statements without rows).
    pub async fn fetchone(&mut self) -> Result<Option<R>> {
        self.core.check_executed()?;
        let Some(packet) = self.core.rows.get(self.core.rownumber).cloned() else {
            return Ok(None);
        };
        let row = self.core.build_row(packet)?;
        self.core.rownumber += 1;
        Ok(Some(R::from_row(row)))
    }

    /// The next `size` rows (`None`: [`arraysize`](GenericCursor::arraysize)); fewer at
    /// the end of the result, an empty `Vec` once it is exhausted.
    pub async fn fetchmany(&mut self, size: Option<usize>) -> Result<Vec<R>> {
        let end = self.core.rownumber.saturating_add(size.unwrap_or(self.core.arraysize));
        self.take_rows(end)
    }

    /// All remaining rows of the current result.
    pub async fn fetchall(&mut self) -> Result<Vec<R>> {
        self.take_rows(usize::MAX)
    }

    fn take_rows(&mut self, end: usize) -> Result<Vec<R>> {
        let span = self.span(end)?;
        let mut out = Vec::with_capacity(span.len());
        for i in span.clone() {
            let packet = self.core.rows[i].clone();
            out.push(R::from_row(self.core.build_row(packet)?));
        }
        self.core.rownumber = span.end;
        Ok(out)
    }

    /// Moves the position: by `value` rows (`Relative`) or to row `value` (`Absolute`).
    /// A target outside the result is an `Error::Programming` (PyMySQL's IndexError) and
    /// leaves the position unchanged.
    pub async fn scroll(&mut self, value: i64, mode: ScrollMode) -> Result<()> {
        self.core.check_executed()?;
        let len = self.core.rows.len();
        let target = match mode {
            ScrollMode::Relative => i64::try_from(self.core.rownumber).ok().and_then(|r| r.checked_add(value)),
            ScrollMode::Absolute => Some(value),
        };
        match target.and_then(|t| usize::try_from(t).ok()).filter(|&t| t < len) {
            Some(t) => {
                self.core.rownumber = t;
                Ok(())
            }
            None => Err(Error::Programming(format!(
                "scroll out of range: {mode:?} {value} from row {} of a result with {len} rows",
                self.core.rownumber
            ))),
        }
    }

    /// Typed rows `[rownumber, end)`, decoded straight from their packets.
    fn take_as<T: FromRow>(&mut self, end: usize) -> Result<Vec<T>> {
        let span = self.span(end)?;
        let core = &mut self.core;
        let Some(columns) = core.columns.as_deref() else {
            return Ok(Vec::new());
        };
        // Column names are resolved once per call, not per row.
        let mapping = T::mapping(columns)?;
        let mut out = Vec::with_capacity(span.len());
        for packet in &core.rows[span.clone()] {
            out.push(decode_packet::<T>(columns, &mut core.scratch, &mapping, packet)?);
        }
        core.rownumber = span.end;
        Ok(out)
    }

    /// The next row decoded into `T` (a `#[derive(FromRow)]` struct, a tuple, ...).
    /// Resolves `T`'s columns on every call; in loops prefer `fetchmany_as` / `fetchall_as`.
    pub async fn fetchone_as<T: FromRow>(&mut self) -> Result<Option<T>> {
        self.core.check_executed()?;
        let core = &mut self.core;
        let (Some(columns), Some(packet)) = (core.columns.as_deref(), core.rows.get(core.rownumber)) else {
            return Ok(None);
        };
        let mapping = T::mapping(columns)?;
        let row = decode_packet::<T>(columns, &mut core.scratch, &mapping, packet)?;
        core.rownumber += 1;
        Ok(Some(row))
    }

    /// Like [`fetchmany`](Self::fetchmany), decoded into `T`.
    pub async fn fetchmany_as<T: FromRow>(&mut self, size: Option<usize>) -> Result<Vec<T>> {
        let end = self.core.rownumber.saturating_add(size.unwrap_or(self.core.arraysize));
        self.take_as(end)
    }

    /// Like [`fetchall`](Self::fetchall), decoded into `T`.
    pub async fn fetchall_as<T: FromRow>(&mut self) -> Result<Vec<T>> {
        self.take_as(usize::MAX)
    }
}
