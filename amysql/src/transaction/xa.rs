//! XA (two-phase) transactions: aiomysql's `begin_twophase` / `recover_twophase`.
//!
//! Xids are restricted to `[A-Za-z0-9_.:-]`, 1 to 64 bytes (the server's gtrid limit), so
//! they are quoted without escaping and the strings `recover_twophase` returns can be
//! passed back verbatim. Only the gtrid part of an xid is used (no bqual/formatID).
//!
//! On MariaDB a prepared branch stays attached to the session that prepared it: that
//! session can `commit_prepared` / `rollback_prepared` it but can run no other
//! transaction, and other sessions can only finish it once that session disconnected. A
//! pooled connection holding a prepared branch therefore fails its rollback on return
//! and is closed, which hands the branch over to recovery.

use std::ops::{Deref, DerefMut};

use crate::conn::Connection;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XaState {
    /// After XA START: statements join the branch.
    Active,
    /// After XA END.
    Ended,
    /// After XA PREPARE: survives this guard (and, on disconnect, this session).
    Prepared,
    /// Committed, rolled back, or never started.
    Done,
}

/// A two-phase (XA) transaction; derefs to the [`Connection`].
///
/// Dropped before `prepare()`, it is rolled back (XA END + XA ROLLBACK are queued like a
/// [`Transaction`](super::Transaction)'s rollback); dropped after `prepare()`, the branch
/// is left prepared for [`Connection::recover_twophase`].
pub struct TwoPhaseTransaction<'c> {
    conn: &'c mut Connection,
    xid: String,
    state: XaState,
}

impl std::fmt::Debug for TwoPhaseTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoPhaseTransaction").field("xid", &self.xid).field("state", &self.state).finish()
    }
}

fn check_xid(xid: &str) -> Result<()> {
    let ok = !xid.is_empty()
        && xid.len() <= 64
        && xid.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Interface(format!(
            "invalid XA transaction id {xid:?}: use 1 to 64 characters from A-Z a-z 0-9 _ . : -"
        )))
    }
}

impl TwoPhaseTransaction<'_> {
    /// The transaction id (generated as `amysql-<32 hex digits>` when none was given).
    pub fn xid(&self) -> &str {
        &self.xid
    }

    /// True once `prepare()` succeeded (and until commit or rollback).
    pub fn is_prepared(&self) -> bool {
        self.state == XaState::Prepared
    }

    async fn run(&mut self, stmt: &str) -> Result<()> {
        self.conn.query_drop(&format!("{stmt} '{}'", self.xid)).await.map(drop)
    }

    async fn end(&mut self) -> Result<()> {
        if self.state == XaState::Active {
            self.run("XA END").await?;
            self.state = XaState::Ended;
        }
        Ok(())
    }

    /// First phase: `XA END` then `XA PREPARE`.
    pub async fn prepare(&mut self) -> Result<()> {
        match self.state {
            XaState::Active | XaState::Ended => {
                self.end().await?;
                self.run("XA PREPARE").await?;
                self.state = XaState::Prepared;
                Ok(())
            }
            XaState::Prepared => Ok(()),
            XaState::Done => Err(Error::Interface("XA transaction already finished".into())),
        }
    }

    /// Second phase (`XA COMMIT xid`) after `prepare()`, else a one-phase commit
    /// (`XA END` + `XA COMMIT xid ONE PHASE`).
    pub async fn commit(mut self) -> Result<()> {
        match self.state {
            XaState::Prepared => self.run("XA COMMIT").await?,
            XaState::Active | XaState::Ended => {
                self.end().await?;
                self.conn.query_drop(&format!("XA COMMIT '{}' ONE PHASE", self.xid)).await?;
            }
            XaState::Done => return Err(Error::Interface("XA transaction already finished".into())),
        }
        self.state = XaState::Done;
        Ok(())
    }

    /// Rolls the branch back, prepared or not.
    pub async fn rollback(mut self) -> Result<()> {
        if self.state == XaState::Done {
            return Ok(());
        }
        self.end().await?;
        self.run("XA ROLLBACK").await?;
        self.state = XaState::Done;
        Ok(())
    }
}

impl Drop for TwoPhaseTransaction<'_> {
    fn drop(&mut self) {
        match self.state {
            XaState::Active => {
                self.conn.queue_cleanup(format!("XA END '{}'", self.xid));
                self.conn.queue_cleanup(format!("XA ROLLBACK '{}'", self.xid));
            }
            XaState::Ended => self.conn.queue_cleanup(format!("XA ROLLBACK '{}'", self.xid)),
            XaState::Prepared | XaState::Done => {}
        }
    }
}

impl Deref for TwoPhaseTransaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for TwoPhaseTransaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Connection {
    /// `XA START` with `xid`, or with a random id when `None`.
    pub async fn begin_twophase(&mut self, xid: Option<&str>) -> Result<TwoPhaseTransaction<'_>> {
        let xid = match xid {
            Some(x) => {
                check_xid(x)?;
                x.to_string()
            }
            None => format!("amysql-{:032x}", rand::random::<u128>()),
        };
        // Guard first: a dropped future still gets its XA END / XA ROLLBACK queued.
        let mut xa = TwoPhaseTransaction { conn: self, xid, state: XaState::Active };
        if let Err(e) = xa.run("XA START").await {
            xa.state = XaState::Done;
            return Err(e);
        }
        Ok(xa)
    }

    /// Ids of prepared XA branches (`XA RECOVER`, its `data` column).
    pub async fn recover_twophase(&mut self) -> Result<Vec<String>> {
        // Columns: formatID, gtrid_length, bqual_length, data.
        let rows = self.query_text("XA RECOVER").await?;
        Ok(rows.into_iter().filter_map(|mut r| r.get_mut(3).and_then(Option::take)).collect())
    }

    /// `XA COMMIT xid` for a branch prepared earlier (possibly by another session).
    pub async fn commit_prepared(&mut self, xid: &str) -> Result<()> {
        check_xid(xid)?;
        self.query_drop(&format!("XA COMMIT '{xid}'")).await.map(drop)
    }

    /// `XA ROLLBACK xid` for a branch prepared earlier.
    pub async fn rollback_prepared(&mut self, xid: &str) -> Result<()> {
        check_xid(xid)?;
        self.query_drop(&format!("XA ROLLBACK '{xid}'")).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::check_xid;

    #[test]
    fn xids_are_restricted_to_a_quote_free_charset() {
        assert!(check_xid("order-42:retry_1.a").is_ok());
        assert!(check_xid(&"x".repeat(64)).is_ok());
        for bad in ["", "a'b", "a\\b", "a b", "é", &"x".repeat(65)] {
            assert!(check_xid(bad).is_err(), "{bad:?} accepted");
        }
    }
}
