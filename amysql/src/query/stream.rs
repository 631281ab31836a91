//! `fetch`: rows as a `Stream`, read from the socket one packet per item.
//!
//! The stream owns whatever the executor lends: for `&Pool` the `PooledConnection`
//! lives inside the stream and returns to the pool when the stream ends or is dropped.
//! Dropping it early is safe: the connection drains the unread rows before its next
//! command (a pooled one does so before anyone else gets it).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use super::args::QueryArgs;
use super::executor::{Executor, Lent, Target};
use super::run::{send_timed, Decoder, RowReader};
use crate::conn::timeout::{bounded, Statement};
use crate::error::Result;
use crate::trace::Kind;
use tracing::Instrument;

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
    Start(Target<'c>, A, Option<Duration>),
    /// The statement (its deadline, its kill-on-drop guard) lives as long as the stream
    /// reads: dropping the stream mid-way drops it armed.
    Reading(Lent<'c>, RowReader<D>, Statement<'c>),
    Done,
}

pub(crate) fn row_stream<'c, E, A, D>(
    executor: E,
    sql: &'c str,
    args: A,
    timeout: Option<Duration>,
) -> RowStream<'c, D::Output>
where
    E: Executor<'c>,
    A: QueryArgs + Send + Sync + 'c,
    D: Decoder + 'c,
    D::Output: Send + 'c,
{
    let start: State<'c, A, D> = State::Start(executor.into_target(), args, timeout);
    let stream = futures_util::stream::unfold(start, move |state| async move {
        let (mut conn, mut reader, st) = match state {
            State::Start(target, args, timeout) => {
                let mut conn = match target.connection().await {
                    Ok(conn) => conn,
                    Err(e) => return Some((Err(e), State::Done)),
                };
                let mut st = conn.begin_statement(timeout, sql, Kind::Fetch);
                let injection = st.injection();
                macro_rules! work {
                    () => {
                        bounded(st.deadline(), async {
                            send_timed(&mut conn, sql, &args, injection.as_ref()).await?;
                            conn.arm_kill_on_drop(&mut st);
                            Ok(())
                        })
                    };
                }
                let sent = match st.span() {
                    None => work!().await,
                    Some(span) => work!().instrument(span).await,
                };
                if !matches!(sent, Some(Ok(()))) {
                    let e = conn.end_statement(st, sent).await.err();
                    return e.map(|e| (Err(e), State::Done));
                }
                (conn, RowReader::new(), st)
            }
            State::Reading(conn, reader, st) => (conn, reader, st),
            State::Done => return None,
        };
        // Per row: the plain await without a deadline; the timed one boxed, so that the
        // future built for every row stays small (see `run_statement!`).
        let next = match st.deadline() {
            None => Some(reader.next(&mut conn).await),
            Some(at) => Box::pin(bounded(Some(at), reader.next(&mut conn))).await,
        };
        match next {
            Some(Ok(Some(row))) => {
                let mut st = st;
                st.row_seen();
                Some((Ok(row), State::Reading(conn, reader, st)))
            }
            Some(Ok(None)) => {
                // Ends the statement (disarms the guard); nothing can fail here.
                let _ = conn.end_statement(st, Some(Ok(()))).await;
                None
            }
            outcome => match conn.end_statement(st, outcome).await {
                Err(e) => Some((Err(e), State::Done)),
                Ok(_) => None,
            },
        }
    });
    RowStream { inner: Box::pin(stream) }
}
