//! zero-mysql 0.6.0 (tokio). Typed rows exist only for the binary protocol
//! (`#[derive(zero_mysql::r#macro::FromRow)]` + `exec_collect` /
//! `exec_first` / `exec_foreach`). Its text protocol hands a handler raw
//! length-encoded row bytes, so the text variant below parses them itself.

use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use zero_mysql::error::{Error, Result as ZResult};
use zero_mysql::handler::DropHandler;
use zero_mysql::protocol::command::bulk_exec::BulkFlags;
use zero_mysql::protocol::command::ColumnDefinition;
use zero_mysql::protocol::primitive::read_string_lenenc;
use zero_mysql::protocol::r#trait::TextResultSetHandler;
use zero_mysql::protocol::response::OkPayloadBytes;
use zero_mysql::protocol::TextRowPayload;
use zero_mysql::tokio::{Conn, Pool};
use zero_mysql::Opts;

use super::{pool_ids, unknown, BenchResult, BoxError};
use crate::measure::Meter;
use crate::scenario::*;
use crate::target::Target;

pub fn variants(sc: Scenario) -> &'static [&'static str] {
    match sc {
        Scenario::Scan => &["exec_collect(binary)", "query+handler(text)"],
        Scenario::Point => &["exec_first(binary)"],
        Scenario::Insert => &["exec_bulk_insert_or_update"],
        Scenario::Pool => &["get+prepare+exec_first(binary)"],
        Scenario::Stream => &["exec_foreach(binary)"],
    }
}

pub async fn run(sc: Scenario, variant: &str, t: &Target) -> BenchResult {
    match (sc, variant) {
        (Scenario::Scan, "exec_collect(binary)") => scan(t).await,
        (Scenario::Scan, "query+handler(text)") => scan_text(t).await,
        (Scenario::Point, "exec_first(binary)") => point(t).await,
        (Scenario::Insert, "exec_bulk_insert_or_update") => insert(t).await,
        (Scenario::Pool, "get+prepare+exec_first(binary)") => pool(t).await,
        (Scenario::Stream, "exec_foreach(binary)") => stream(t).await,
        _ => Err(unknown(sc, variant)),
    }
}

fn opts(t: &Target) -> Opts {
    Opts {
        host: t.host.clone(),
        port: t.port,
        user: t.user.clone(),
        password: t.password.clone(),
        db: Some(t.db.clone()),
        socket: t.socket.as_ref().map(|p| p.to_string_lossy().into_owned()),
        // Default true: over loopback TCP it reads @@socket and reconnects
        // through the unix socket; off so TCP runs stay TCP.
        upgrade_to_unix_socket: false,
        ..Opts::default()
    }
}

async fn scan(t: &Target) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let mut stmt = conn.prepare(SCAN_SQL).await?;
    let rows: Vec<ScanRow> = conn.exec_collect(&mut stmt, ()).await?;
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = rows.iter().fold(0, |acc, r| combine(acc, r.digest()));
    Ok(sample)
}

async fn scan_text(t: &Target) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let mut handler = TextScan::default();
    conn.query(SCAN_SQL, &mut handler).await?;
    let rows = handler.rows;
    let mut sample = m.stop(rows.len() as u64, 0);
    sample.check = rows.iter().fold(0, |acc, r| combine(acc, r.digest()));
    Ok(sample)
}

async fn point(t: &Target) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let mut stmt = conn.prepare(POINT_SQL).await?;
    let mut check = 0;
    for i in 0..POINT_QUERIES {
        let row: PointRow = conn.exec_first(&mut stmt, (point_id(i),)).await?.ok_or("point row missing")?;
        check = combine(check, row.digest());
    }
    Ok(m.stop(POINT_QUERIES, check))
}

type InsertParams<'a> = (i32, i64, &'a str, f64, NaiveDateTime, Decimal, Option<&'a str>);

async fn insert(t: &Target) -> BenchResult {
    let rows = insert_rows();
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    // The API takes a slice of parameter tuples; building it is part of the
    // driver's cost, so it is inside the timed part.
    let params: Vec<InsertParams<'_>> =
        rows.iter().map(|r| (r.a, r.b, r.s.as_str(), r.d, r.ts, r.amount, r.note.as_deref())).collect();
    let mut stmt = conn.prepare(INSERT_SQL).await?;
    // One COM_STMT_BULK_EXECUTE for all rows: a single statement, so
    // autocommit already makes it one transaction.
    conn.exec_bulk_insert_or_update(
        &mut stmt,
        params.as_slice(),
        BulkFlags::SEND_TYPES_TO_SERVER,
        &mut DropHandler::default(),
    )
    .await?;
    Ok(m.stop(rows.len() as u64, 0))
}

async fn pool(t: &Target) -> BenchResult {
    let mut o = opts(t);
    o.pool_max_concurrency = Some(POOL_SIZE as usize);
    o.pool_max_idle_conn = POOL_SIZE as usize;
    // Defaults otherwise: every checkout pings, every return runs
    // COM_RESET_CONNECTION (in a spawned task), which also drops prepared
    // statements, so each checkout must prepare again.
    let pool = Arc::new(Pool::new(o));
    let m = Meter::start();
    let tasks: Vec<_> = (0..POOL_TASKS)
        .map(|task| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                let mut check = 0u64;
                for id in pool_ids(task) {
                    let mut conn = pool.get().await?;
                    let mut stmt = conn.prepare(POINT_SQL).await?;
                    let row: PointRow = conn.exec_first(&mut stmt, (id,)).await?.ok_or("point row missing")?;
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
    Ok(m.stop(POOL_TASKS * POOL_QUERIES_PER_TASK, check))
}

async fn stream(t: &Target) -> BenchResult {
    let mut conn = Conn::new(opts(t)).await?;
    let m = Meter::start();
    let mut stmt = conn.prepare(STREAM_SQL).await?;
    let (mut n, mut check) = (0u64, 0u64);
    conn.exec_foreach(&mut stmt, (), |row: ScanRow| {
        check = combine(check, row.digest());
        n += 1;
        Ok(())
    })
    .await?;
    Ok(m.stop(n, check))
}

/// Text-protocol rows arrive as raw length-encoded strings (0xFB = NULL);
/// zero-mysql has no typed decoding for them, so parse each field here.
#[derive(Default)]
struct TextScan {
    rows: Vec<ScanRow>,
}

impl TextResultSetHandler for TextScan {
    fn no_result_set(&mut self, _: OkPayloadBytes) -> ZResult<()> {
        Ok(())
    }

    fn resultset_start(&mut self, _: &[ColumnDefinition<'_>]) -> ZResult<()> {
        Ok(())
    }

    fn row(&mut self, _: &[ColumnDefinition<'_>], row: TextRowPayload<'_>) -> ZResult<()> {
        let mut f = Fields(row.0);
        self.rows.push(ScanRow {
            id: f.parse()?,
            a: f.parse()?,
            b: f.parse()?,
            s: f.string()?,
            d: f.parse()?,
            ts: NaiveDateTime::parse_from_str(f.str()?, "%Y-%m-%d %H:%M:%S%.f").map_err(bad)?,
            amount: Decimal::from_str(f.str()?).map_err(bad)?,
            note: f.opt_string()?,
        });
        Ok(())
    }

    fn resultset_end(&mut self, _: OkPayloadBytes) -> ZResult<()> {
        Ok(())
    }
}

struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn next(&mut self) -> ZResult<Option<&'a [u8]>> {
        if self.0.first() == Some(&0xFB) {
            self.0 = &self.0[1..];
            return Ok(None);
        }
        let (v, rest) = read_string_lenenc(self.0)?;
        self.0 = rest;
        Ok(Some(v))
    }

    fn str(&mut self) -> ZResult<&'a str> {
        let b = self.next()?.ok_or_else(|| bad("unexpected NULL"))?;
        std::str::from_utf8(b).map_err(bad)
    }

    fn parse<T: FromStr>(&mut self) -> ZResult<T>
    where
        T::Err: std::fmt::Display,
    {
        self.str()?.parse().map_err(bad)
    }

    fn string(&mut self) -> ZResult<String> {
        self.str().map(str::to_owned)
    }

    fn opt_string(&mut self) -> ZResult<Option<String>> {
        match self.next()? {
            None => Ok(None),
            Some(b) => Ok(Some(std::str::from_utf8(b).map_err(bad)?.to_owned())),
        }
    }
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::BadUsageError(format!("text row: {e}"))
}
