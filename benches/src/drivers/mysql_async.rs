//! mysql_async 0.37 through its documented typed paths: tuples via
//! `FromRow`, `query_map` (text protocol) / `exec_map` (binary), the
//! per-connection statement cache behind `exec_first`, `exec_batch` (which
//! uses MariaDB's COM_STMT_BULK_EXECUTE when the server offers it), `Pool`.

use chrono::NaiveDateTime;
use futures_util::StreamExt;
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, QueryResult, TxOpts};
use rust_decimal::Decimal;

use super::{pool_ids, unknown, BenchResult, BoxError};
use crate::measure::Meter;
use crate::scenario::*;
use crate::target::Target;

pub fn variants(sc: Scenario) -> &'static [&'static str] {
    match sc {
        Scenario::Scan => &["query_map(text)", "exec_map(binary)"],
        Scenario::Point => &["exec_first(binary)"],
        Scenario::Insert => &["exec_batch(bulk,tx)"],
        Scenario::Pool => &["exec_first(binary)", "exec_first(binary,no reset)"],
        Scenario::Stream => &["query_iter.stream(text)", "exec_iter.stream(binary)"],
    }
}

pub async fn run(sc: Scenario, variant: &str, t: &Target) -> BenchResult {
    match (sc, variant) {
        (Scenario::Scan, "query_map(text)") => scan(t, false).await,
        (Scenario::Scan, "exec_map(binary)") => scan(t, true).await,
        (Scenario::Point, "exec_first(binary)") => point(t).await,
        (Scenario::Insert, "exec_batch(bulk,tx)") => insert(t).await,
        (Scenario::Pool, "exec_first(binary)") => pool(t, true).await,
        (Scenario::Pool, "exec_first(binary,no reset)") => pool(t, false).await,
        (Scenario::Stream, "query_iter.stream(text)") => stream(t, false).await,
        (Scenario::Stream, "exec_iter.stream(binary)") => stream(t, true).await,
        _ => Err(unknown(sc, variant)),
    }
}

fn opts(t: &Target) -> Opts {
    let b = OptsBuilder::default()
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(Some(t.password.clone()))
        .db_name(Some(t.db.clone()))
        // Default true: on a loopback host it asks for @@socket and silently
        // reconnects over the unix socket, which would not be like for like.
        .prefer_socket(false);
    match &t.socket {
        Some(p) => b.socket(Some(p.to_string_lossy())),
        None => b,
    }
    .into()
}

type Tuple = (i32, i32, i64, String, f64, NaiveDateTime, Decimal, Option<String>);

fn scan_row((id, a, b, s, d, ts, amount, note): Tuple) -> ScanRow {
    ScanRow { id, a, b, s, d, ts, amount, note }
}

async fn scan(t: &Target, binary: bool) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let rows: Vec<ScanRow> =
        if binary { conn.exec_map(SCAN_SQL, (), scan_row).await? } else { conn.query_map(SCAN_SQL, scan_row).await? };
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = rows.iter().fold(0, |acc, r| combine(acc, r.digest()));
    conn.disconnect().await?;
    Ok(sample)
}

async fn point(t: &Target) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let mut check = 0;
    for i in 0..POINT_QUERIES {
        let (id, s): (i32, String) = conn.exec_first(POINT_SQL, (point_id(i),)).await?.ok_or("point row missing")?;
        check = combine(check, PointRow { id, s }.digest());
    }
    let sample = m.stop(POINT_QUERIES, check);
    conn.disconnect().await?;
    Ok(sample)
}

async fn insert(t: &Target) -> BenchResult {
    let rows = insert_rows();
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    // One transaction, like every other driver's insert: one commit (one
    // redo-log flush) per run, so only the client path differs.
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    tx.exec_batch(INSERT_SQL, rows.iter().map(|r| (r.a, r.b, r.s.as_str(), r.d, r.ts, r.amount, r.note.as_deref())))
        .await?;
    tx.commit().await?;
    let sample = m.stop(rows.len() as u64, 0);
    conn.disconnect().await?;
    Ok(sample)
}

/// `reset = true` is the default: COM_RESET_CONNECTION on every return,
/// which also empties the statement cache (so every query re-prepares).
/// `false` is the tuned setting, to separate policy from driver cost.
async fn pool(t: &Target, reset: bool) -> BenchResult {
    let size = POOL_SIZE as usize;
    let constraints = PoolConstraints::new(size, size).ok_or("bad pool constraints")?;
    let pool_opts = PoolOpts::default().with_constraints(constraints).with_reset_connection(reset);
    let pool = Pool::new(OptsBuilder::from_opts(opts(t)).pool_opts(pool_opts));
    let m = Meter::start();
    let tasks: Vec<_> = (0..POOL_TASKS)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut check = 0u64;
                for id in pool_ids(task) {
                    let mut conn = pool.get_conn().await?;
                    let (id, s): (i32, String) = conn.exec_first(POINT_SQL, (id,)).await?.ok_or("point row missing")?;
                    check = combine(check, PointRow { id, s }.digest());
                }
                Ok::<u64, BoxError>(check)
            })
        })
        .collect();
    let mut check = 0;
    for task in tasks {
        check = combine(check, task.await??);
    }
    let sample = m.stop(POOL_TASKS * POOL_QUERIES_PER_TASK, check);
    pool.disconnect().await?;
    Ok(sample)
}

async fn stream(t: &Target, binary: bool) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let (n, check) = if binary {
        drain(conn.exec_iter(STREAM_SQL, ()).await?).await?
    } else {
        drain(conn.query_iter(STREAM_SQL).await?).await?
    };
    let sample = m.stop(n, check);
    conn.disconnect().await?;
    Ok(sample)
}

/// Consumes a result set row by row (never holding more than one decoded row).
async fn drain<P: Protocol + Unpin>(mut result: QueryResult<'_, 'static, P>) -> Result<(u64, u64), BoxError> {
    let (mut n, mut check) = (0u64, 0u64);
    let mut rows = result.stream::<Tuple>().await?.ok_or("stream: no result set")?;
    while let Some(row) = rows.next().await {
        check = combine(check, scan_row(row?).digest());
        n += 1;
    }
    Ok((n, check))
}
