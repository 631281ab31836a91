//! Running a typed query on one connection: send it, then read rows packet by packet.
//!
//! Rows are decoded straight from each row packet: the packet is split into cell ranges
//! in one scratch `Vec` reused for every row, the type's column mapping is resolved once
//! per result set, and no `Row` or `Value` is built on the typed path. The same
//! `RowReader` serves `fetch_all`, `fetch_one`, `fetch_optional` and the streams, so they
//! agree on multi-statement queries: rows of every result set, in order, each result
//! set with its own mapping.

use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;

use super::args::QueryArgs;
use crate::conn::commands::QueryResult;
use crate::conn::result::ResultHead;
use crate::conn::timeout::Injection;
use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::protocol::text_row::CellRange;
use crate::row::{ColumnSet, FromRow, Row, RowRef};
use crate::value::FromSql;

/// Sends the query, formatting it straight into the connection's send buffer.
pub(crate) async fn send<A: QueryArgs + ?Sized>(conn: &mut Connection, sql: &str, args: &A) -> Result<()> {
    if let Some(params) = args.binary_params() {
        if conn.send_prepared(sql, params).await? {
            return Ok(());
        }
    }
    let ctx = conn.format_context();
    conn.send_query_with(|buf| args.write_query(sql, &ctx, buf)).await
}

/// [`send`] under a statement timeout, with its server-side part (`injection`) in place
/// when there is one.
pub(crate) async fn send_timed<A: QueryArgs + ?Sized>(
    conn: &mut Connection,
    sql: &str,
    args: &A,
    injection: Option<&Injection>,
) -> Result<()> {
    let Some(inj) = injection else { return send(conn, sql, args).await };
    if let Some(params) = args.binary_params() {
        if conn.send_prepared_injected(sql, inj, params).await? {
            return Ok(());
        }
    }
    let ctx = conn.format_context();
    conn.send_text_timed(sql, injection, |sql, buf| args.write_query(sql, &ctx, buf)).await
}

/// Reads every result of the statement(s) sent: affected rows and warnings are summed
/// over the statements, `last_insert_id` is the last one generated, rows are skipped.
pub(crate) async fn execute(conn: &mut Connection) -> Result<QueryResult> {
    let mut total = QueryResult::default();
    while conn.has_more_results() {
        match conn.read_result_head().await? {
            ResultHead::Ok(ok) => {
                total.rows_affected += ok.affected_rows;
                if ok.last_insert_id != 0 {
                    total.last_insert_id = Some(ok.last_insert_id);
                }
                total.warnings = total.warnings.saturating_add(ok.warnings);
            }
            ResultHead::Rows(_) => while conn.next_row_packet().await?.is_some() {},
        }
    }
    Ok(total)
}

/// How rows of a result set become values.
pub(crate) trait Decoder {
    type Output;
    /// Per-result-set state (the column mapping).
    type State: Send + Sync;

    fn start(columns: &ColumnSet) -> Result<Self::State>;

    /// True when [`decode_in_place`] works: outputs that own their packet (untyped
    /// `Row`s) take the `Bytes` path instead.
    const IN_PLACE: bool = false;

    /// Decodes from a borrowed packet, for rows still in the receive buffer.
    fn decode_in_place(
        _state: &Self::State,
        _columns: &ColumnSet,
        _packet: &[u8],
        _cells: &mut Vec<CellRange>,
    ) -> Option<Result<Self::Output>> {
        None
    }

    fn decode(
        state: &Self::State,
        columns: &Arc<ColumnSet>,
        packet: Bytes,
        cells: &mut Vec<CellRange>,
    ) -> Result<Self::Output>;
}

/// Rows into a `FromRow` type, via its mapping.
pub(crate) struct Typed<T>(PhantomData<fn() -> T>);

impl<T: FromRow> Decoder for Typed<T> {
    type Output = T;
    type State = T::Mapping;
    const IN_PLACE: bool = true;

    fn start(columns: &ColumnSet) -> Result<T::Mapping> {
        T::mapping(columns)
    }

    #[inline]
    fn decode_in_place(
        mapping: &T::Mapping,
        columns: &ColumnSet,
        packet: &[u8],
        cells: &mut Vec<CellRange>,
    ) -> Option<Result<T>> {
        Some(columns.parse_row(packet, cells).and_then(|()| T::from_row(mapping, &RowRef::new(columns, packet, cells))))
    }

    #[inline]
    fn decode(mapping: &T::Mapping, columns: &Arc<ColumnSet>, packet: Bytes, cells: &mut Vec<CellRange>) -> Result<T> {
        columns.parse_row(&packet, cells)?;
        T::from_row(mapping, &RowRef::new(columns, &packet, cells))
    }
}

/// The first column of each row.
pub(crate) struct Scalar<T>(PhantomData<fn() -> T>);

impl<T: FromSql> Decoder for Scalar<T> {
    type Output = T;
    type State = ();
    const IN_PLACE: bool = true;

    fn start(columns: &ColumnSet) -> Result<()> {
        <(T,)>::mapping(columns)
    }

    #[inline]
    fn decode_in_place(_: &(), columns: &ColumnSet, packet: &[u8], cells: &mut Vec<CellRange>) -> Option<Result<T>> {
        Some(columns.parse_row(packet, cells).and_then(|()| RowRef::new(columns, packet, cells).decode(0)))
    }

    #[inline]
    fn decode(_: &(), columns: &Arc<ColumnSet>, packet: Bytes, cells: &mut Vec<CellRange>) -> Result<T> {
        columns.parse_row(&packet, cells)?;
        RowRef::new(columns, &packet, cells).decode(0)
    }
}

/// Untyped `Row`s, which keep the packet and share the column set (cheaper than going
/// through `Row`'s `FromRow` impl, which must copy both).
pub(crate) struct Untyped;

impl Decoder for Untyped {
    type Output = Row;
    type State = ();

    fn start(_: &ColumnSet) -> Result<()> {
        Ok(())
    }

    fn decode(_: &(), columns: &Arc<ColumnSet>, packet: Bytes, cells: &mut Vec<CellRange>) -> Result<Row> {
        Row::from_packet(Arc::clone(columns), packet, cells)
    }
}

/// Reads the rows of a sent query one at a time, across all of its result sets.
pub(crate) struct RowReader<D: Decoder> {
    current: Option<(Arc<ColumnSet>, D::State)>,
    cells: Vec<CellRange>,
}

impl<D: Decoder> RowReader<D> {
    pub(crate) fn new() -> Self {
        RowReader { current: None, cells: Vec::new() }
    }

    /// The next row, or `None` once every result has been read. After an error the
    /// unread rest is left to the connection, which drains it before its next command.
    pub(crate) async fn next(&mut self, conn: &mut Connection) -> Result<Option<D::Output>> {
        loop {
            // A row already in the receive buffer is decoded where it lies, without
            // going through the packet reader.
            if let Some(row) = self.take_buffered(conn)? {
                return Ok(Some(row));
            }
            if let Some((columns, state)) = &self.current {
                match conn.next_row_packet().await? {
                    // A malformed row is a protocol error and breaks the connection
                    // (`fail` leaves decode errors alone).
                    Some(packet) => {
                        return D::decode(state, columns, packet, &mut self.cells).map(Some).map_err(|e| conn.fail(e))
                    }
                    None => self.current = None,
                }
            } else if !conn.has_more_results() {
                return Ok(None);
            } else if let ResultHead::Rows(columns) = conn.read_result_head().await? {
                let state = D::start(&columns)?;
                self.current = Some((columns, state));
            }
        }
    }
}

impl<D: Decoder> RowReader<D> {
    /// The next row when it is already complete in the receive buffer, decoded where it
    /// lies (no await, no copy of the packet); `None` otherwise.
    fn take_buffered(&mut self, conn: &mut Connection) -> Result<Option<D::Output>> {
        let Some((columns, state)) = &self.current else { return Ok(None) };
        if !D::IN_PLACE {
            return Ok(None);
        }
        let cells = &mut self.cells;
        conn.take_buffered_row(|packet| decode_here::<D>(state, columns, packet, cells))
    }

    /// Decodes the rows already in the receive buffer into `out` without awaiting.
    fn drain_buffered(&mut self, conn: &mut Connection, out: &mut Vec<D::Output>) -> Result<()> {
        let Some((columns, state)) = &self.current else { return Ok(()) };
        let cells = &mut self.cells;
        while let Some(row) = conn.take_buffered_row(|packet| decode_here::<D>(state, columns, packet, cells))? {
            out.push(row);
        }
        Ok(())
    }
}

/// One buffered row through the decoder; inlined into the row loops like the decoder.
#[inline(always)]
fn decode_here<D: Decoder>(
    state: &D::State,
    columns: &ColumnSet,
    packet: &[u8],
    cells: &mut Vec<CellRange>,
) -> Result<D::Output> {
    D::decode_in_place(state, columns, packet, cells)
        .unwrap_or_else(|| Err(Error::Interface("row decoder cannot decode in place".into())))
}

/// Collects every row. Rows that are already buffered are decoded in one synchronous pass
/// straight from the receive buffer; the reader awaits only when the buffer runs dry.
pub(crate) async fn fetch_all<D: Decoder>(conn: &mut Connection) -> Result<Vec<D::Output>> {
    let mut reader = RowReader::<D>::new();
    let mut out = Vec::new();
    loop {
        if D::IN_PLACE {
            reader.drain_buffered(conn, &mut out)?;
        }
        match reader.next(conn).await? {
            Some(row) => out.push(row),
            None => return Ok(out),
        }
    }
}

/// The first row; the rest is drained before the connection's next command.
pub(crate) async fn fetch_optional<D: Decoder>(conn: &mut Connection) -> Result<Option<D::Output>> {
    RowReader::<D>::new().next(conn).await
}
