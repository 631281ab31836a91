//! A session store with expiry, on one table.
//!
//! * `set` is an upsert (`INSERT … ON DUPLICATE KEY UPDATE`, which MariaDB and MySQL both
//!   have), so writing a session twice never races into a duplicate-key error.
//! * Expiry is decided by the **server's** clock (`NOW(6)`), never the client's: every
//!   application server sharing the table agrees on what has expired, and a skewed
//!   client clock cannot resurrect or kill sessions.
//! * An expired row is absent to `get` at once; `purge_expired` deletes such rows in
//!   bounded batches (run it from a periodic task), so a big backlog never holds locks
//!   for long.

use std::time::Duration;

use amysql::{query, query_scalar, Pool, Result};

/// Sessions in table `table` (created by [`SessionStore::create_table`]).
#[derive(Clone)]
pub struct SessionStore {
    pool: Pool,
    table: String,
}

/// Microseconds, clamped to what an `INTERVAL` takes without overflow (about 292 000 years).
fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2).min(i64::MAX / 2)
}

impl SessionStore {
    /// `table` is an identifier chosen by the application, not user input: it is spliced
    /// into the SQL, quoted with backticks.
    pub fn new(pool: Pool, table: impl Into<String>) -> Self {
        SessionStore { pool, table: table.into() }
    }

    pub async fn create_table(&self) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS `{}` (\
               id VARCHAR(128) NOT NULL PRIMARY KEY, \
               data MEDIUMBLOB NOT NULL, \
               expires_at DATETIME(6) NOT NULL, \
               KEY expires_at (expires_at)\
             ) ENGINE=InnoDB",
            self.table
        );
        query(&sql).execute(&self.pool).await.map(drop)
    }

    /// Stores `data` for `id`, replacing any previous value, valid for `ttl` from now
    /// (server time).
    pub async fn set(&self, id: &str, data: &[u8], ttl: Duration) -> Result<()> {
        let sql = format!(
            "INSERT INTO `{}` (id, data, expires_at) VALUES (?, ?, NOW(6) + INTERVAL ? MICROSECOND) \
             ON DUPLICATE KEY UPDATE data = VALUES(data), expires_at = VALUES(expires_at)",
            self.table
        );
        query(&sql).bind(id).bind(data).bind(micros(ttl)).execute(&self.pool).await.map(drop)
    }

    /// The session's data, or `None` when there is none or it has expired.
    pub async fn get(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let sql = format!("SELECT data FROM `{}` WHERE id = ? AND expires_at > NOW(6)", self.table);
        query_scalar(&sql).bind(id).fetch_optional(&self.pool).await
    }

    /// Extends a live session's expiry without rewriting its data; false when it is
    /// absent or already expired (an expired session cannot be revived).
    pub async fn touch(&self, id: &str, ttl: Duration) -> Result<bool> {
        let sql = format!(
            "UPDATE `{}` SET expires_at = NOW(6) + INTERVAL ? MICROSECOND WHERE id = ? AND expires_at > NOW(6)",
            self.table
        );
        Ok(query(&sql).bind(micros(ttl)).bind(id).execute(&self.pool).await?.rows_affected == 1)
    }

    /// Removes the session; true when there was one (expired or not).
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let sql = format!("DELETE FROM `{}` WHERE id = ?", self.table);
        Ok(query(&sql).bind(id).execute(&self.pool).await?.rows_affected == 1)
    }

    /// Deletes expired sessions, 1000 rows per statement, and returns how many.
    pub async fn purge_expired(&self) -> Result<u64> {
        let sql = format!("DELETE FROM `{}` WHERE expires_at <= NOW(6) ORDER BY expires_at LIMIT 1000", self.table);
        let mut total = 0;
        loop {
            let n = query(&sql).execute(&self.pool).await?.rows_affected;
            total += n;
            if n < 1000 {
                return Ok(total);
            }
        }
    }
}
