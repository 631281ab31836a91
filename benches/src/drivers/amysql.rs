//! amysql through its two public styles: the typed layer (`query_as` with
//! `#[derive(amysql::FromRow)]`, `%s` parameters formatted client-side, text
//! protocol) and the aiomysql-style cursors (`cursor` / `ss_cursor`,
//! `executemany`). Variants marked `prepared` set `stmt_cache_size(64)`: the
//! same typed calls then run as cached prepared statements with binary rows.
//! The report's ratio column uses the first amysql variant listed for a scenario.

use amysql::{ConnectOptions, Connection, PoolOptions, SslMode};
use futures_util::TryStreamExt;

use super::{pool_ids, unknown, BenchResult, BoxError};
use crate::measure::Meter;
use crate::scenario::*;
use crate::target::Target;

pub fn variants(sc: Scenario) -> &'static [&'static str] {
    match sc {
        Scenario::Scan => &["query_as.fetch_all", "query_as.fetch_all(prepared)", "cursor.fetchall+Row::get"],
        Scenario::Point => &["query_as.bind(%s).fetch_one", "query_as.bind(%s).fetch_one(prepared)"],
        Scenario::Insert => &["cursor.executemany(tx)"],
        Scenario::Pool => &["query_as.fetch_one(&pool)", "query_as.fetch_one(&pool,prepared)"],
        Scenario::Stream => &["query_as.fetch(stream)", "query_as.fetch(stream,prepared)", "ss_cursor.stream_as"],
    }
}

pub async fn run(sc: Scenario, variant: &str, t: &Target) -> BenchResult {
    match (sc, variant) {
        (Scenario::Scan, "query_as.fetch_all") => scan_query_as(t, TEXT).await,
        (Scenario::Scan, "query_as.fetch_all(prepared)") => scan_query_as(t, PREPARED).await,
        (Scenario::Scan, "cursor.fetchall+Row::get") => scan_cursor(t).await,
        (Scenario::Point, "query_as.bind(%s).fetch_one") => point(t, TEXT).await,
        (Scenario::Point, "query_as.bind(%s).fetch_one(prepared)") => point(t, PREPARED).await,
        (Scenario::Insert, "cursor.executemany(tx)") => insert(t).await,
        (Scenario::Pool, "query_as.fetch_one(&pool)") => pool(t, TEXT).await,
        (Scenario::Pool, "query_as.fetch_one(&pool,prepared)") => pool(t, PREPARED).await,
        (Scenario::Stream, "query_as.fetch(stream)") => stream_query_as(t, TEXT).await,
        (Scenario::Stream, "query_as.fetch(stream,prepared)") => stream_query_as(t, PREPARED).await,
        (Scenario::Stream, "ss_cursor.stream_as") => stream_ss_cursor(t).await,
        _ => Err(unknown(sc, variant)),
    }
}

/// `%s` form of [`POINT_SQL`].
const POINT_SQL_PCT: &str = "SELECT id, s FROM bench_point WHERE id = %s";
const INSERT_SQL_PCT: &str =
    "INSERT INTO bench_insert (a, b, s, d, ts, amount, note) VALUES (%s, %s, %s, %s, %s, %s, %s)";

/// `stmt_cache_size` of the text variants (off) and the prepared ones.
const TEXT: usize = 0;
const PREPARED: usize = 64;

fn opts(t: &Target, stmt_cache: usize) -> ConnectOptions {
    let o = ConnectOptions::new()
        .stmt_cache_size(stmt_cache)
        .host(t.host.clone())
        .port(t.port)
        .user(t.user.clone())
        .password(t.password.clone())
        .db(t.db.clone())
        // amysql defaults to Preferred, i.e. TLS whenever the server offers
        // it (the test server does); peers run without TLS, so must we.
        .ssl_mode(SslMode::Disabled);
    match &t.socket {
        Some(p) => o.unix_socket(p.clone()),
        None => o,
    }
}

async fn connect(t: &Target) -> Result<Connection, BoxError> {
    connect_with(t, TEXT).await
}

async fn connect_with(t: &Target, stmt_cache: usize) -> Result<Connection, BoxError> {
    Ok(amysql::connect(opts(t, stmt_cache)).await?)
}

fn digest_all(rows: &[ScanRow]) -> u64 {
    rows.iter().fold(0, |acc, r| combine(acc, r.digest()))
}

async fn scan_query_as(t: &Target, stmt_cache: usize) -> BenchResult {
    let mut conn = connect_with(t, stmt_cache).await?;
    let m = Meter::start();
    let rows: Vec<ScanRow> = amysql::query_as(SCAN_SQL).fetch_all(&mut conn).await?;
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = digest_all(&rows);
    conn.close().await?;
    Ok(sample)
}

/// DB-API style: a buffered cursor's `Row`s, each field taken by index.
async fn scan_cursor(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let rows = {
        let mut cur = conn.cursor();
        cur.execute(SCAN_SQL, ()).await?;
        cur.fetchall()
            .await?
            .iter()
            .map(|r| {
                Ok(ScanRow {
                    id: r.get(0)?,
                    a: r.get(1)?,
                    b: r.get(2)?,
                    s: r.get(3)?,
                    d: r.get(4)?,
                    ts: r.get(5)?,
                    amount: r.get(6)?,
                    note: r.get(7)?,
                })
            })
            .collect::<amysql::Result<Vec<ScanRow>>>()?
    };
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = digest_all(&rows);
    conn.close().await?;
    Ok(sample)
}

async fn point(t: &Target, stmt_cache: usize) -> BenchResult {
    let mut conn = connect_with(t, stmt_cache).await?;
    let m = Meter::start();
    let mut check = 0;
    for i in 0..POINT_QUERIES {
        let row: PointRow = amysql::query_as(POINT_SQL_PCT).bind(point_id(i)).fetch_one(&mut conn).await?;
        check = combine(check, row.digest());
    }
    let sample = m.stop(POINT_QUERIES, check);
    conn.close().await?;
    Ok(sample)
}

/// `executemany` with its defaults: on MariaDB one prepared INSERT whose rows go
/// as binary arrays in COM_STMT_BULK_EXECUTE commands of up to `max_stmt_length`
/// (1,024,000) bytes; in one transaction like the peers.
async fn insert(t: &Target) -> BenchResult {
    let rows = insert_rows();
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let mut tx = conn.begin().await?;
    tx.cursor()
        .executemany(
            INSERT_SQL_PCT,
            rows.iter().map(|r| (r.a, r.b, r.s.as_str(), r.d, r.ts, r.amount, r.note.as_deref())),
        )
        .await?;
    tx.commit().await?;
    let sample = m.stop(rows.len() as u64, 0);
    conn.close().await?;
    Ok(sample)
}

async fn pool(t: &Target, stmt_cache: usize) -> BenchResult {
    // minsize 0: lazy like the peers' pools, so all of them open their
    // connections inside the timed part. Other options default (notably no
    // reset on release, unlike mysql_async's and zero-mysql's defaults).
    let pool =
        amysql::create_pool(opts(t, stmt_cache), PoolOptions::new().minsize(0).maxsize(POOL_SIZE as usize)).await?;
    let m = Meter::start();
    let tasks: Vec<_> = (0..POOL_TASKS)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut check = 0u64;
                for id in pool_ids(task) {
                    let row: PointRow = amysql::query_as(POINT_SQL_PCT).bind(id).fetch_one(&pool).await?;
                    check = combine(check, row.digest());
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
    pool.close();
    pool.wait_closed().await?;
    Ok(sample)
}

async fn stream_query_as(t: &Target, stmt_cache: usize) -> BenchResult {
    let mut conn = connect_with(t, stmt_cache).await?;
    let m = Meter::start();
    let (mut n, mut check) = (0u64, 0u64);
    {
        let mut s = amysql::query_as::<ScanRow>(STREAM_SQL).fetch(&mut conn);
        while let Some(row) = s.try_next().await? {
            check = combine(check, row.digest());
            n += 1;
        }
    }
    let sample = m.stop(n, check);
    conn.close().await?;
    Ok(sample)
}

/// aiomysql's SSCursor: unbuffered, rows decoded into `T` as they arrive.
async fn stream_ss_cursor(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let (mut n, mut check) = (0u64, 0u64);
    {
        let mut cur = conn.ss_cursor();
        cur.execute(STREAM_SQL, ()).await?;
        let mut s = cur.stream_as::<ScanRow>();
        while let Some(row) = s.try_next().await? {
            check = combine(check, row.digest());
            n += 1;
        }
    }
    let sample = m.stop(n, check);
    conn.close().await?;
    Ok(sample)
}
