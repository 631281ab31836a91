//! `KILL QUERY` over a side connection: how a statement timeout, and a dropped query
//! with `kill_on_drop`, stop the server's work and not just the client's wait.
//!
//! The side connection is short-lived and opened with the same options (same user: a
//! session may always kill its own user's statements), also for pooled connections: a
//! connection does not know its pool, and borrowing a pool slot to rescue another would
//! deadlock a full pool. It costs one connect per kill, which only happens on the
//! rare path. Behind a proxy that rewrites connection ids (ProxySQL, MaxScale) the id
//! the greeting gave may not be the backend's: see the proxy's KILL support.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::timeout::KILL_BOUND;
use crate::error::Result;
use crate::opts::ConnectOptions;

/// Opens a side connection, sends `KILL QUERY <thread_id>`, and closes it. A thread
/// that is gone already (1094) counts as killed.
pub(crate) async fn kill_query(opts: &ConnectOptions, thread_id: u32) -> Result<()> {
    let mut side = opts.clone();
    // Nothing the side connection runs needs them, and a kill must not beget kills.
    side.stmt_cache_size = 0;
    side.statement_timeout = None;
    side.kill_on_drop = false;
    side.connect_timeout = Some(side.connect_timeout.map_or(KILL_BOUND, |t| t.min(KILL_BOUND)));
    let mut conn = super::connect(side).await?;
    let r = conn.query_drop(&format!("KILL QUERY {thread_id}")).await;
    let _ = conn.close().await;
    match r {
        Err(e) if e.as_server().is_some_and(|s| s.code() == 1094) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// Armed while a statement of a `kill_on_drop` connection runs: dropped armed (the
/// query's future or stream was dropped), it spawns `kill_query`, and reports through
/// the channel when the kill is done. The connection keeps the receiving end and waits
/// on it before its next command, so a late `KILL QUERY` can never hit a later statement.
pub(crate) struct KillOnDrop {
    opts: Arc<ConnectOptions>,
    thread_id: u32,
    done: Option<oneshot::Sender<()>>,
}

impl KillOnDrop {
    pub(crate) fn new(opts: &Arc<ConnectOptions>, thread_id: u32) -> (KillOnDrop, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        (KillOnDrop { opts: Arc::clone(opts), thread_id, done: Some(tx) }, rx)
    }

    /// The statement ended normally: nothing to kill.
    pub(crate) fn disarm(mut self) {
        self.done = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let Some(done) = self.done.take() else { return };
        // Without a runtime (dropped during shutdown) nothing can be spawned: the
        // connection then drains as without kill_on_drop (`done` closes unsent).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let opts = Arc::clone(&self.opts);
        let thread_id = self.thread_id;
        runtime.spawn(async move {
            match tokio::time::timeout(KILL_BOUND, kill_query(&opts, thread_id)).await {
                Ok(Ok(())) => tracing::debug!(thread_id, "dropped query killed"),
                Ok(Err(e)) => tracing::warn!(thread_id, error = %e, "KILL QUERY for a dropped query failed"),
                Err(_) => tracing::warn!(thread_id, "KILL QUERY for a dropped query timed out"),
            }
            let _ = done.send(());
        });
    }
}
