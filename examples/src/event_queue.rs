//! A durable event queue on one InnoDB table, for many concurrent workers.
//!
//! * `publish` inserts an event; it is visible to workers once committed.
//! * `claim` takes up to `n` visible events in a short transaction:
//!   `SELECT … FOR UPDATE SKIP LOCKED` picks rows no other worker is claiming right now
//!   (without waiting on their locks), then an `UPDATE` gives them a **lease**: they are
//!   invisible until `NOW(6) + lease` and carry this claim's token. Requires MariaDB 10.6+
//!   or MySQL 8.0+.
//! * `ack` marks an event done, only if the caller's claim still owns it (same token):
//!   after its lease ran out and another worker claimed the event, a late ack from the
//!   first worker is refused, so each event is acked exactly once.
//! * `nack` gives an event back (after an optional delay); a worker that dies simply
//!   lets its leases run out. Either way the event is delivered again, with `attempts`
//!   counting deliveries.
//!
//! Delivery is at-least-once: a worker whose lease expires mid-work may overlap with
//! the next one, so handlers should be idempotent (or check `ack`'s answer before
//! making their effect visible). Time is the server's (`NOW(6)`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use amysql::{query, query_as, IsolationLevel, Pool, Result, TxOptions};

/// The queue in table `table` (created by [`EventQueue::create_table`]).
#[derive(Clone)]
pub struct EventQueue {
    pool: Pool,
    table: String,
}

/// One delivery of an event to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: u64,
    pub payload: Vec<u8>,
    /// 1 for the first delivery, more for redeliveries.
    pub attempts: u32,
    /// The claim this delivery belongs to; `ack`/`nack` need it.
    pub token: u64,
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2).min(i64::MAX / 2)
}

/// A claim token: random per process (std's per-`RandomState` keys) plus a counter, so
/// tokens of different workers and processes do not collide in practice.
fn new_token() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    // 0 is never a token: the column's "unclaimed" is NULL, but keep 0 out anyway.
    h.finish().max(1)
}

impl EventQueue {
    /// `table` is an identifier chosen by the application (spliced into the SQL).
    pub fn new(pool: Pool, table: impl Into<String>) -> Self {
        EventQueue { pool, table: table.into() }
    }

    pub async fn create_table(&self) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS `{}` (\
               id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, \
               payload MEDIUMBLOB NOT NULL, \
               available_at DATETIME(6) NOT NULL DEFAULT NOW(6), \
               lease_token BIGINT UNSIGNED NULL, \
               attempts INT UNSIGNED NOT NULL DEFAULT 0, \
               acked_at DATETIME(6) NULL, \
               KEY ready (acked_at, available_at)\
             ) ENGINE=InnoDB",
            self.table
        );
        query(&sql).execute(&self.pool).await.map(drop)
    }

    /// Publishes one event and returns its id.
    pub async fn publish(&self, payload: &[u8]) -> Result<u64> {
        let sql = format!("INSERT INTO `{}` (payload) VALUES (?)", self.table);
        let r = query(&sql).bind(payload).execute(&self.pool).await?;
        Ok(r.last_insert_id.unwrap_or(0))
    }

    /// Publishes many events in one `executemany` (one multi-row INSERT per batch).
    pub async fn publish_batch<P: AsRef<[u8]>>(&self, payloads: &[P]) -> Result<u64> {
        let sql = format!("INSERT INTO `{}` (payload) VALUES (?)", self.table);
        let mut conn = self.pool.acquire().await?;
        let mut cur = conn.cursor();
        cur.executemany(&sql, payloads.iter().map(|p| (p.as_ref(),))).await
    }

    /// Claims up to `n` visible events for `lease`; empty when there are none right now.
    pub async fn claim(&self, n: u32, lease: Duration) -> Result<Vec<Delivery>> {
        let token = new_token();
        // READ COMMITTED: no gap locks, so concurrent claims and acks do not block or
        // deadlock on the index ranges they scan; SKIP LOCKED handles the rows themselves.
        let mut tx = self.pool.begin_with(TxOptions::new().isolation(IsolationLevel::ReadCommitted)).await?;
        let pick = format!(
            "SELECT id FROM `{}` WHERE acked_at IS NULL AND available_at <= NOW(6) \
             ORDER BY available_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
            self.table
        );
        let ids: Vec<u64> = amysql::query_scalar(&pick).bind(n).fetch_all(&mut tx).await?;
        if ids.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        // `IN ?` with a list writes `IN (1,2,3)`.
        let lease_sql = format!(
            "UPDATE `{}` SET available_at = NOW(6) + INTERVAL ? MICROSECOND, lease_token = ?, \
             attempts = attempts + 1 WHERE id IN ?",
            self.table
        );
        query(&lease_sql).bind(micros(lease)).bind(token).bind(&ids).execute(&mut tx).await?;
        let read = format!("SELECT id, payload, attempts FROM `{}` WHERE id IN ? ORDER BY id", self.table);
        let rows: Vec<(u64, Vec<u8>, u32)> = query_as(&read).bind(&ids).fetch_all(&mut tx).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|(id, payload, attempts)| Delivery { id, payload, attempts, token }).collect())
    }

    /// Marks the event done. False when this claim no longer owns it (its lease expired
    /// and another worker claimed it, or it was acked already): the work must be
    /// considered not acknowledged.
    pub async fn ack(&self, d: &Delivery) -> Result<bool> {
        let sql = format!(
            "UPDATE `{}` SET acked_at = NOW(6), lease_token = NULL \
             WHERE id = ? AND lease_token = ? AND acked_at IS NULL",
            self.table
        );
        Ok(query(&sql).bind(d.id).bind(d.token).execute(&self.pool).await?.rows_affected == 1)
    }

    /// Gives the event back, to be delivered again after `delay`. False when this claim
    /// no longer owns it.
    pub async fn nack(&self, d: &Delivery, delay: Duration) -> Result<bool> {
        let sql = format!(
            "UPDATE `{}` SET available_at = NOW(6) + INTERVAL ? MICROSECOND, lease_token = NULL \
             WHERE id = ? AND lease_token = ? AND acked_at IS NULL",
            self.table
        );
        Ok(query(&sql).bind(micros(delay)).bind(d.id).bind(d.token).execute(&self.pool).await?.rows_affected == 1)
    }

    /// Events not yet acked (claimed or not).
    pub async fn pending(&self) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM `{}` WHERE acked_at IS NULL", self.table);
        amysql::query_scalar(&sql).fetch_one(&self.pool).await
    }

    /// Deletes acked events older than `age`; returns how many.
    pub async fn purge_acked(&self, age: Duration) -> Result<u64> {
        let sql = format!("DELETE FROM `{}` WHERE acked_at < NOW(6) - INTERVAL ? MICROSECOND", self.table);
        Ok(query(&sql).bind(micros(age)).execute(&self.pool).await?.rows_affected)
    }
}
