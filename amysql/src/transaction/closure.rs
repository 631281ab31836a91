//! `transaction(|tx| Box::pin(async move { ... }))`: commit on `Ok`, roll back on `Err`
//! or panic, optionally retry on deadlock.
//!
//! Retrying needs to see the amysql error inside the caller's error type, so
//! `transaction_with` asks for [`RetryableError`]; `transaction` (no retries) only needs
//! `E: From<amysql::Error>`.

use std::time::Duration;

use super::{Transaction, TxOptions};
use crate::conn::Connection;
use crate::error::Error;
use crate::pool::Pool;
use futures_util::future::BoxFuture;

/// Error types whose transaction may be retried by `transaction_with`.
///
/// Implemented for [`amysql::Error`](crate::Error) and for
/// `Box<dyn std::error::Error + Send + Sync>` (which it looks into). For your own error
/// type, delegate to the amysql error it wraps; `impl RetryableError for MyError {}`
/// (the default) never retries.
pub trait RetryableError {
    /// True when running the whole transaction again may succeed.
    fn is_retryable(&self) -> bool {
        false
    }
}

impl RetryableError for Error {
    /// Deadlock (1213, InnoDB rolled the transaction back) or lock wait timeout (1205).
    fn is_retryable(&self) -> bool {
        matches!(self.as_server().map(|e| e.code()), Some(1213 | 1205))
    }
}

impl RetryableError for Box<dyn std::error::Error + Send + Sync> {
    fn is_retryable(&self) -> bool {
        self.downcast_ref::<Error>().is_some_and(Error::is_retryable)
    }
}

/// Runs `f` once inside a transaction on `conn`: commit on Ok, rollback on Err. A panic
/// in `f` unwinds through the guard, whose Drop queues the rollback.
async fn attempt<T, E, F>(conn: &mut Connection, opts: &TxOptions, f: &mut F) -> Result<T, E>
where
    F: for<'t> FnMut(&'t mut Transaction<'_>) -> BoxFuture<'t, Result<T, E>>,
    E: From<Error>,
{
    let mut tx = conn.begin_with(opts.clone()).await?;
    match f(&mut tx).await {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            // The closure's error is what the caller needs; a failed rollback leaves the
            // guard active (rollback queued) or the connection broken, both safe.
            if let Err(rb) = tx.rollback().await {
                tracing::debug!(error = %rb, "rollback after a failed transaction closure failed");
            }
            Err(e)
        }
    }
}

/// A short, growing pause, so that two transactions that deadlocked do not collide again
/// in lockstep.
async fn backoff(attempt: u32) {
    let jitter = rand::random::<u64>() % 20;
    tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt.min(10)) + jitter)).await;
}

impl Connection {
    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back on `Err` or
    /// panic. `f` is `|tx| Box::pin(async move { ...; Ok(v) })`.
    pub async fn transaction<T, E, F>(&mut self, mut f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t mut Transaction<'_>) -> BoxFuture<'t, Result<T, E>>,
        E: From<Error>,
    {
        attempt(self, &TxOptions::new(), &mut f).await
    }

    /// [`transaction`](Connection::transaction) with options; with
    /// [`TxOptions::retry_on_deadlock`] the whole closure runs again (on this connection)
    /// after a retryable error, unless the connection broke.
    pub async fn transaction_with<T, E, F>(&mut self, opts: TxOptions, mut f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t mut Transaction<'_>) -> BoxFuture<'t, Result<T, E>>,
        E: From<Error> + RetryableError,
    {
        let mut tries = 0;
        loop {
            match attempt(self, &opts, &mut f).await {
                Err(e) if tries < opts.retry_on_deadlock && e.is_retryable() && !self.is_broken() => {
                    tries += 1;
                    backoff(tries).await;
                }
                r => return r,
            }
        }
    }
}

impl Pool {
    /// Runs `f` in a transaction on a pooled connection; see [`Connection::transaction`].
    pub async fn transaction<T, E, F>(&self, mut f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t mut Transaction<'_>) -> BoxFuture<'t, Result<T, E>>,
        E: From<Error>,
    {
        let mut conn = self.acquire().await?;
        attempt(&mut conn, &TxOptions::new(), &mut f).await
    }

    /// [`Pool::transaction`] with options and retries; each retry runs on a freshly
    /// acquired connection.
    pub async fn transaction_with<T, E, F>(&self, opts: TxOptions, mut f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t mut Transaction<'_>) -> BoxFuture<'t, Result<T, E>>,
        E: From<Error> + RetryableError,
    {
        let mut tries = 0;
        loop {
            let mut conn = self.acquire().await?;
            match attempt(&mut conn, &opts, &mut f).await {
                Err(e) if tries < opts.retry_on_deadlock && e.is_retryable() => {
                    drop(conn);
                    tries += 1;
                    backoff(tries).await;
                }
                r => return r,
            }
        }
    }
}
