//! `fetch`: rows as a `Stream`, read from the socket one packet per item.
//!
//! The stream owns whatever the executor lends: for `&Pool` the `PooledConnection`
//! lives inside the stream and returns to the pool when the stream ends or is dropped.
//! Dropping it early is safe: the connection drains the unread rows before its next
//! command (a pooled one does so before anyone else gets it).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::args::QueryArgs;
use super::executor::{Executor, Lent, Target};
use super::run::{send, Decoder, RowReader};
use crate::error::Result;

/// The stream returned by `fetch`: `Stream<Item = amysql::Result<T>>`. It ends after
/// the last row of the last result set, or right after yielding an error.
#[must_use = "streams do nothing unless polled"]
pub struct RowStream<'c, T> {
    // Boxed once per query (not per row): the state machine holds futures of the
    // connection's async fns, which have no nameable type.
    inner: Pin<Box<dyn Stream<Item = Result<T>> + Send + 'c>>,
}

impl<T> fmt::Debug for RowStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowStream").finish_non_exhaustive()
    }
}

impl<T> Stream for RowStream<'_, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

enum State<'c, A, D: Decoder> {
    /// Nothing sent yet: connecting happens on the first poll, as with any stream.
    Start(Target<'c>, A),
    Reading(Lent<'c>, RowReader<D>),
    Done,
}

pub(crate) fn row_stream<'c, E, A, D>(executor: E, sql: &'c str, args: A) -> RowStream<'c, D::Output>
where
    E: Executor<'c>,
    A: QueryArgs + Send + Sync + 'c,
    D: Decoder + 'c,
    D::Output: Send + 'c,
{
    let start: State<'c, A, D> = State::Start(executor.into_target(), args);
    let stream = futures_util::stream::unfold(start, move |state| async move {
        let (mut conn, mut reader) = match state {
            State::Start(target, args) => {
                let mut conn = match target.connection().await {
                    Ok(conn) => conn,
                    Err(e) => return Some((Err(e), State::Done)),
                };
                if let Err(e) = send(&mut conn, sql, &args).await {
                    return Some((Err(e), State::Done));
                }
                (conn, RowReader::new())
            }
            State::Reading(conn, reader) => (conn, reader),
            State::Done => return None,
        };
        match reader.next(&mut conn).await {
            Ok(Some(row)) => Some((Ok(row), State::Reading(conn, reader))),
            Ok(None) => None,
            Err(e) => Some((Err(e), State::Done)),
        }
    });
    RowStream { inner: Box::pin(stream) }
}
