//! sqlx 0.9 (MySQL driver, tokio, no TLS). Its typed path is `query_as`
//! with `#[derive(sqlx::FromRow)]`, always a prepared statement (cached per
//! connection). The only text-protocol path is `raw_sql`, which yields
//! untyped `MySqlRow`s that `FromRow` can still decode.

use futures_util::TryStreamExt;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPoolOptions, MySqlSslMode};
use sqlx::{Connection, FromRow, MySql, QueryBuilder};

use super::{pool_ids, unknown, BenchResult, BoxError};
use crate::measure::Meter;
use crate::scenario::*;
use crate::target::Target;

pub fn variants(sc: Scenario) -> &'static [&'static str] {
    match sc {
        Scenario::Scan => &["query_as(binary)", "raw_sql+FromRow(text)"],
        Scenario::Point => &["query_as.fetch_one(binary)"],
        Scenario::Insert => &["query.execute-loop(tx)", "QueryBuilder.push_values(1000/stmt,tx)"],
        Scenario::Pool => &["query_as.fetch_one(&pool)", "query_as.fetch_one(&pool,no ping)"],
        Scenario::Stream => &["query_as.fetch(binary)"],
    }
}

pub async fn run(sc: Scenario, variant: &str, t: &Target) -> BenchResult {
    match (sc, variant) {
        (Scenario::Scan, "query_as(binary)") => scan(t).await,
        (Scenario::Scan, "raw_sql+FromRow(text)") => scan_text(t).await,
        (Scenario::Point, "query_as.fetch_one(binary)") => point(t).await,
        (Scenario::Insert, "query.execute-loop(tx)") => insert_loop(t).await,
        (Scenario::Insert, "QueryBuilder.push_values(1000/stmt,tx)") => insert_builder(t).await,
        (Scenario::Pool, "query_as.fetch_one(&pool)") => pool(t, true).await,
        (Scenario::Pool, "query_as.fetch_one(&pool,no ping)") => pool(t, false).await,
        (Scenario::Stream, "query_as.fetch(binary)") => stream(t).await,
        _ => Err(unknown(sc, variant)),
    }
}

fn opts(t: &Target) -> MySqlConnectOptions {
    let o = MySqlConnectOptions::new()
        .host(&t.host)
        .port(t.port)
        .username(&t.user)
        .password(&t.password)
        .database(&t.db)
        // The default (Preferred) would try TLS if it were compiled in; be
        // explicit so all drivers run in clear text.
        .ssl_mode(MySqlSslMode::Disabled);
    match &t.socket {
        Some(p) => o.socket(p),
        None => o,
    }
}

async fn connect(t: &Target) -> Result<MySqlConnection, BoxError> {
    Ok(MySqlConnection::connect_with(&opts(t)).await?)
}

async fn scan(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let rows: Vec<ScanRow> = sqlx::query_as(SCAN_SQL).fetch_all(&mut conn).await?;
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = rows.iter().fold(0, |acc, r| combine(acc, r.digest()));
    conn.close().await?;
    Ok(sample)
}

async fn scan_text(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let mut rows = Vec::new();
    {
        let mut s = sqlx::raw_sql(SCAN_SQL).fetch(&mut conn);
        while let Some(row) = s.try_next().await? {
            rows.push(ScanRow::from_row(&row)?);
        }
    }
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = rows.iter().fold(0, |acc, r| combine(acc, r.digest()));
    conn.close().await?;
    Ok(sample)
}

async fn point(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let mut check = 0;
    for i in 0..POINT_QUERIES {
        let row: PointRow = sqlx::query_as(POINT_SQL).bind(point_id(i)).fetch_one(&mut conn).await?;
        check = combine(check, row.digest());
    }
    let sample = m.stop(POINT_QUERIES, check);
    conn.close().await?;
    Ok(sample)
}

/// The plain way: one prepared INSERT per row inside one transaction.
async fn insert_loop(t: &Target) -> BenchResult {
    let rows = insert_rows();
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let mut tx = conn.begin().await?;
    for r in &rows {
        sqlx::query(INSERT_SQL)
            .bind(r.a)
            .bind(r.b)
            .bind(r.s.as_str())
            .bind(r.d)
            .bind(r.ts)
            .bind(r.amount)
            .bind(r.note.as_deref())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let sample = m.stop(rows.len() as u64, 0);
    conn.close().await?;
    Ok(sample)
}

/// sqlx's documented bulk insert: multi-row VALUES via `QueryBuilder`. A
/// prepared statement allows at most 65,535 placeholders, so 20,000 x 7
/// needs chunking; 1,000 rows per statement (same SQL, so it stays cached).
async fn insert_builder(t: &Target) -> BenchResult {
    const CHUNK: usize = 1000;
    let rows = insert_rows();
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let mut tx = conn.begin().await?;
    let prefix = INSERT_PREFIX.trim_end_matches("VALUES ");
    for chunk in rows.chunks(CHUNK) {
        let mut qb = QueryBuilder::<MySql>::new(prefix);
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.a)
                .push_bind(r.b)
                .push_bind(r.s.as_str())
                .push_bind(r.d)
                .push_bind(r.ts)
                .push_bind(r.amount)
                .push_bind(r.note.as_deref());
        });
        qb.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let sample = m.stop(rows.len() as u64, 0);
    conn.close().await?;
    Ok(sample)
}

/// `ping = true` is the default `test_before_acquire`: a COM_PING on every
/// checkout of an idle connection; `false` is the tuned setting.
async fn pool(t: &Target, ping: bool) -> BenchResult {
    // Lazy like the other drivers' pools: connections open during the run.
    let pool = MySqlPoolOptions::new().max_connections(POOL_SIZE).test_before_acquire(ping).connect_lazy_with(opts(t));
    let m = Meter::start();
    let tasks: Vec<_> = (0..POOL_TASKS)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut check = 0u64;
                for id in pool_ids(task) {
                    let row: PointRow = sqlx::query_as(POINT_SQL).bind(id).fetch_one(&pool).await?;
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
    pool.close().await;
    Ok(sample)
}

async fn stream(t: &Target) -> BenchResult {
    let mut conn = connect(t).await?;
    let m = Meter::start();
    let (mut n, mut check) = (0u64, 0u64);
    {
        let mut s = sqlx::query_as::<_, ScanRow>(STREAM_SQL).fetch(&mut conn);
        while let Some(row) = s.try_next().await? {
            check = combine(check, row.digest());
            n += 1;
        }
    }
    let sample = m.stop(n, check);
    conn.close().await?;
    Ok(sample)
}
