//! Fetching from unbuffered cursors (`SSCursor`, `SSDictCursor`): each fetch reads the
//! next row packet from the connection, so only the rows the caller keeps take memory.
//! Forward-only: skipping ahead reads and discards rows, going back is impossible.

use futures_util::stream::{self, BoxStream, StreamExt};

use super::core::decode_packet;
use super::generic::GenericCursor;
use super::kind::{CursorRow, Unbuffered};
use super::ScrollMode;
use crate::error::{Error, Result};
use crate::row::FromRow;

impl<R: CursorRow> GenericCursor<'_, R, Unbuffered> {
    /// The next row, or `None` at the end of the result (or for statements without rows).
    /// Reading the end makes `rowcount()` and `warning_count()` known.
    pub async fn fetchone(&mut self) -> Result<Option<R>> {
        self.core.check_executed()?;
        if self.core.columns.is_none() {
            return Ok(None);
        }
        let Some(packet) = self.core.next_streamed().await? else {
            return Ok(None);
        };
        let row = self.core.build_row(packet)?;
        self.core.rownumber += 1;
        Ok(Some(R::from_row(row)))
    }

    /// Up to `size` rows (`None`: [`arraysize`](GenericCursor::arraysize)), read one by
    /// one; fewer at the end of the result.
    pub async fn fetchmany(&mut self, size: Option<usize>) -> Result<Vec<R>> {
        let size = size.unwrap_or(self.core.arraysize);
        let mut out = Vec::with_capacity(size.min(1024));
        while out.len() < size {
            match self.fetchone().await? {
                Some(row) => out.push(row),
                None => break,
            }
        }
        Ok(out)
    }

    /// All remaining rows. This holds them all in memory; prefer [`stream`](Self::stream)
    /// or a `fetchone` loop for large results.
    pub async fn fetchall(&mut self) -> Result<Vec<R>> {
        self.fetchmany(Some(usize::MAX)).await
    }

    /// Skips forward: `value` rows (`Relative`), or up to row `value` (`Absolute`).
    /// Moving backwards is `Error::NotSupported`. Skipping past the end of the result is
    /// `Error::Programming`; the skipped rows are consumed either way.
    pub async fn scroll(&mut self, value: i64, mode: ScrollMode) -> Result<()> {
        self.core.check_executed()?;
        let here = self.core.rownumber;
        let target = match mode {
            ScrollMode::Relative => usize::try_from(value).ok().map(|v| here.saturating_add(v)),
            ScrollMode::Absolute => usize::try_from(value).ok().filter(|&v| v >= here),
        };
        let Some(target) = target else {
            return Err(Error::NotSupported(format!(
                "an unbuffered cursor cannot scroll backwards ({mode:?} {value} from row {here})"
            )));
        };
        while self.core.rownumber < target {
            if self.core.columns.is_none() || self.core.next_streamed().await?.is_none() {
                return Err(Error::Programming(format!(
                    "scroll out of range: {mode:?} {value} from row {here}, but the result ended after {} rows",
                    self.core.rownumber
                )));
            }
            self.core.rownumber += 1;
        }
        Ok(())
    }

    /// The remaining rows as a `Stream`, read from the socket as it is polled (constant
    /// memory). Dropping the stream early is fine: the rest is discarded before the
    /// connection's next command.
    pub fn stream<'a>(&'a mut self) -> BoxStream<'a, Result<R>>
    where
        R: Send + 'a,
    {
        // One boxed stream per call, not per row; the box lets the type be named without
        // capturing the connection's lifetime in an `impl Trait`.
        stream::try_unfold(self, |cur| async move { Ok(cur.fetchone().await?.map(|row| (row, cur))) }).boxed()
    }

    /// Like [`fetchone`](Self::fetchone), decoded into `T`. Resolves `T`'s columns on
    /// every call; in loops prefer [`stream_as`](Self::stream_as) or `fetchmany_as`.
    pub async fn fetchone_as<T: FromRow>(&mut self) -> Result<Option<T>> {
        self.core.check_executed()?;
        let Some(columns) = self.core.columns.clone() else {
            return Ok(None);
        };
        let mapping = T::mapping(&columns)?;
        self.next_as(&mapping).await
    }

    /// Reads and decodes one row by an already resolved mapping.
    async fn next_as<T: FromRow>(&mut self, mapping: &T::Mapping) -> Result<Option<T>> {
        let Some(packet) = self.core.next_streamed().await? else {
            return Ok(None);
        };
        let core = &mut self.core;
        let columns = core.columns.as_deref().ok_or_else(super::core::no_rows)?;
        let row = decode_packet::<T>(columns, &mut core.scratch, mapping, &packet).map_err(|e| core.conn.fail(e))?;
        core.rownumber += 1;
        Ok(Some(row))
    }

    /// Up to `size` rows decoded into `T` (columns resolved once per call).
    pub async fn fetchmany_as<T: FromRow>(&mut self, size: Option<usize>) -> Result<Vec<T>> {
        self.core.check_executed()?;
        let size = size.unwrap_or(self.core.arraysize);
        let Some(columns) = self.core.columns.clone() else {
            return Ok(Vec::new());
        };
        let mapping = T::mapping(&columns)?;
        let mut out = Vec::with_capacity(size.min(1024));
        while out.len() < size {
            match self.next_as(&mapping).await? {
                Some(row) => out.push(row),
                None => break,
            }
        }
        Ok(out)
    }

    /// All remaining rows decoded into `T`.
    pub async fn fetchall_as<T: FromRow>(&mut self) -> Result<Vec<T>> {
        self.fetchmany_as(Some(usize::MAX)).await
    }

    /// The remaining rows decoded into `T`, as a `Stream`; columns are resolved once.
    pub fn stream_as<'a, T>(&'a mut self) -> BoxStream<'a, Result<T>>
    where
        T: FromRow + Send + 'a,
    {
        if let Err(e) = self.core.check_executed() {
            return stream::iter([Err(e)]).boxed();
        }
        let mapping = match self.core.columns.as_deref().map(T::mapping) {
            None => return stream::empty().boxed(),
            Some(Err(e)) => return stream::iter([Err(e)]).boxed(),
            Some(Ok(m)) => m,
        };
        stream::try_unfold((self, mapping), |(cur, mapping)| async move {
            let next = cur.next_as::<T>(&mapping).await?;
            Ok(next.map(|row| (row, (cur, mapping))))
        })
        .boxed()
    }
}
