//! Schema migrations: SQL files applied in version order, recorded in
//! `_amysql_migrations`, guarded by a server-side lock so that two processes migrating at
//! once apply each migration exactly once.
//!
//! MySQL commits DDL implicitly, so a migration cannot be rolled back as a unit. Instead
//! its row is written with `success = false` before it runs and flipped afterwards: a
//! migration that failed halfway leaves that mark, and the next `run` refuses to continue
//! until someone has repaired the schema and removed the row.

mod applied;
mod source;

use std::borrow::Cow;
use std::path::Path;
use std::time::Instant;

pub use source::Migration;

use applied::{parse_applied, Applied};

use crate::conn::Connection;
use crate::error::{Error, Result};

/// The bookkeeping table.
pub const TABLE: &str = "_amysql_migrations";
const LOCK_WAIT_SECONDS: u32 = 600;

/// A migration's state in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    /// Applied successfully.
    pub applied: bool,
    /// Started but did not finish: the database is marked dirty.
    pub dirty: bool,
    /// The applied checksum differs from the file's.
    pub checksum_mismatch: bool,
}

/// A set of migrations, embedded with `migrate!("dir")` or read with `from_dir`.
#[derive(Debug, Clone)]
pub struct Migrator {
    pub migrations: Cow<'static, [Migration]>,
}

impl Migrator {
    /// Used by `migrate!`'s expansion.
    pub const fn from_static(migrations: &'static [Migration]) -> Migrator {
        Migrator { migrations: Cow::Borrowed(migrations) }
    }

    /// Reads the migrations of a directory at run time.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrator> {
        Ok(Migrator { migrations: Cow::Owned(source::read_dir(dir.as_ref())?) })
    }

    /// Applies pending migrations in version order; returns the versions applied.
    pub async fn run<'a>(&self, target: impl MigrateTarget<'a>) -> Result<Vec<i64>> {
        let mut conn = target.connection().await?;
        acquire_lock(&mut conn).await?;
        let result = self.run_locked(&mut conn).await;
        release_lock(&mut conn, result).await
    }

    /// Reverts applied migrations newer than `target_version`, newest first, with their
    /// `.down.sql`. Returns the versions reverted.
    pub async fn undo<'a>(&self, target: impl MigrateTarget<'a>, target_version: i64) -> Result<Vec<i64>> {
        let mut conn = target.connection().await?;
        acquire_lock(&mut conn).await?;
        let result = self.undo_locked(&mut conn, target_version).await;
        release_lock(&mut conn, result).await
    }

    /// Lists every known migration (local or applied) with its state.
    pub async fn status<'a>(&self, target: impl MigrateTarget<'a>) -> Result<Vec<MigrationStatus>> {
        let mut conn = target.connection().await?;
        ensure_table(&mut conn).await?;
        let applied = load_applied(&mut conn).await?;
        let mut out: Vec<MigrationStatus> = self
            .migrations
            .iter()
            .map(|m| {
                let a = applied.iter().find(|a| a.version == m.version);
                MigrationStatus {
                    version: m.version,
                    description: m.description.to_string(),
                    applied: a.is_some_and(|a| a.success),
                    dirty: a.is_some_and(|a| !a.success),
                    checksum_mismatch: a.is_some_and(|a| a.checksum != m.checksum()),
                }
            })
            .collect();
        for a in applied.iter().filter(|a| !self.migrations.iter().any(|m| m.version == a.version)) {
            out.push(MigrationStatus {
                version: a.version,
                description: "(applied, no local file)".into(),
                applied: a.success,
                dirty: !a.success,
                checksum_mismatch: false,
            });
        }
        out.sort_by_key(|s| s.version);
        Ok(out)
    }

    async fn run_locked(&self, conn: &mut Connection) -> Result<Vec<i64>> {
        ensure_table(conn).await?;
        let applied = load_applied(conn).await?;
        if let Some(d) = applied.iter().find(|a| !a.success) {
            return Err(Error::Interface(format!(
                "migration {} did not complete earlier and the database is marked dirty; repair the schema by hand, \
                 then delete its row from {TABLE}",
                d.version
            )));
        }
        for a in &applied {
            match self.migrations.iter().find(|m| m.version == a.version) {
                Some(m) if m.checksum().as_slice() != a.checksum.as_slice() => {
                    return Err(Error::Interface(format!(
                        "migration {} ({}) was changed after it was applied (checksum mismatch)",
                        m.version, m.description
                    )))
                }
                Some(_) => {}
                None => {
                    return Err(Error::Interface(format!(
                        "migration {} was applied but its file is missing",
                        a.version
                    )))
                }
            }
        }
        let mut done = Vec::new();
        for m in self.migrations.iter().filter(|m| !applied.iter().any(|a| a.version == m.version)) {
            let hex: String = m.checksum().iter().map(|b| format!("{b:02x}")).collect();
            let desc = conn.escape(m.description.as_ref())?;
            conn.query_drop(&format!(
                "INSERT INTO {TABLE} (version, description, checksum, success) VALUES ({}, {desc}, X'{hex}', FALSE)",
                m.version
            ))
            .await?;
            let started = Instant::now();
            if let Err(e) = conn.query_drop(&m.up).await {
                return Err(Error::Interface(format!(
                    "migration {} ({}) failed and the database is marked dirty: {e}",
                    m.version, m.description
                )));
            }
            let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
            conn.query_drop(&format!(
                "UPDATE {TABLE} SET success = TRUE, execution_time = {nanos} WHERE version = {}",
                m.version
            ))
            .await?;
            done.push(m.version);
        }
        Ok(done)
    }

    async fn undo_locked(&self, conn: &mut Connection, target_version: i64) -> Result<Vec<i64>> {
        ensure_table(conn).await?;
        let mut applied = load_applied(conn).await?;
        applied.retain(|a| a.version > target_version);
        applied.sort_by_key(|a| std::cmp::Reverse(a.version));
        let mut done = Vec::new();
        for a in applied {
            let m =
                self.migrations.iter().find(|m| m.version == a.version).ok_or_else(|| {
                    Error::Interface(format!("cannot undo migration {}: its file is missing", a.version))
                })?;
            let down = m.down.as_deref().ok_or_else(|| {
                Error::Interface(format!(
                    "cannot undo migration {} ({}): it has no .down.sql",
                    m.version, m.description
                ))
            })?;
            conn.query_drop(down).await?;
            conn.query_drop(&format!("DELETE FROM {TABLE} WHERE version = {}", m.version)).await?;
            done.push(m.version);
        }
        Ok(done)
    }
}

async fn ensure_table(conn: &mut Connection) -> Result<()> {
    conn.query_drop(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            checksum VARBINARY(32) NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            execution_time BIGINT NOT NULL DEFAULT 0,
            success BOOLEAN NOT NULL
        )"
    ))
    .await
    .map(|_| ())
}

async fn load_applied(conn: &mut Connection) -> Result<Vec<Applied>> {
    let rows =
        conn.query_text(&format!("SELECT version, HEX(checksum), success FROM {TABLE} ORDER BY version")).await?;
    rows.iter().map(|r| parse_applied(r)).collect()
}

/// The lock is per server, so it is named per database.
const LOCK_NAME: &str = "CONCAT('amysql_migrate.', IFNULL(DATABASE(), ''))";

async fn acquire_lock(conn: &mut Connection) -> Result<()> {
    let got = conn.query_text(&format!("SELECT GET_LOCK({LOCK_NAME}, {LOCK_WAIT_SECONDS})")).await?;
    if got.first().and_then(|r| r.first()).cloned().flatten().as_deref() != Some("1") {
        return Err(Error::Interface(format!(
            "timed out after {LOCK_WAIT_SECONDS} s waiting for another process's migrations"
        )));
    }
    Ok(())
}

/// Releases the lock whatever the migrations returned; their error wins over a release error.
async fn release_lock<T>(conn: &mut Connection, result: Result<T>) -> Result<T> {
    let released = conn.query_drop(&format!("DO RELEASE_LOCK({LOCK_NAME})")).await;
    let value = result?;
    released?;
    Ok(value)
}

/// Where migrations run: a connection, or a pool (which lends one connection).
pub trait MigrateTarget<'a>: Send {
    fn connection(self) -> futures_util::future::BoxFuture<'a, Result<MigrateConn<'a>>>;
}

/// The connection a migration run uses.
pub enum MigrateConn<'a> {
    Borrowed(&'a mut Connection),
    Pooled(crate::pool::PooledConnection),
}

impl std::ops::Deref for MigrateConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            MigrateConn::Borrowed(c) => c,
            MigrateConn::Pooled(c) => c,
        }
    }
}

impl std::ops::DerefMut for MigrateConn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            MigrateConn::Borrowed(c) => c,
            MigrateConn::Pooled(c) => c,
        }
    }
}

impl<'a> MigrateTarget<'a> for &'a mut Connection {
    fn connection(self) -> futures_util::future::BoxFuture<'a, Result<MigrateConn<'a>>> {
        Box::pin(async move { Ok(MigrateConn::Borrowed(self)) })
    }
}

impl<'a> MigrateTarget<'a> for &'a crate::pool::Pool {
    fn connection(self) -> futures_util::future::BoxFuture<'a, Result<MigrateConn<'a>>> {
        Box::pin(async move { Ok(MigrateConn::Pooled(self.acquire().await?)) })
    }
}
