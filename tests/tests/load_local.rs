//! LOAD DATA LOCAL INFILE through a cursor, ported from aiomysql's and PyMySQL's
//! `test_load_local.py`: allowed files load, and every refusal (disabled, path outside
//! the allow-list, missing file) is an error while the server receives an empty file.

use std::path::{Path, PathBuf};

use amysql::{ConnectOptions, Connection, ErrorKind, LocalInfile};
use amysql_tests::*;
use futures_util::future::BoxFuture;

const LINES: usize = 20_000;

fn opts() -> ConnectOptions {
    server().url().parse().unwrap()
}

async fn table(c: &mut Connection) -> String {
    let t = unique_name("test_load_local");
    c.query_drop(&format!("CREATE TABLE {t} (a INTEGER, b INTEGER)")).await.unwrap();
    t
}

/// A `a,b` CSV with `LINES` lines.
fn data_file(dir: &Path) -> PathBuf {
    let path = dir.join("load_local_data.txt");
    let body: String = (0..LINES).map(|i| format!("{i},{}\n", i * 2)).collect();
    std::fs::write(&path, body).unwrap();
    path
}

fn load_sql(t: &str) -> String {
    format!("LOAD DATA LOCAL INFILE %s INTO TABLE {t} FIELDS TERMINATED BY ','")
}

async fn count(c: &mut Connection, t: &str) -> i64 {
    let mut cur = c.cursor();
    cur.execute(&format!("SELECT COUNT(*) FROM {t}"), ()).await.unwrap();
    cur.fetchone_as::<(i64,)>().await.unwrap().unwrap().0
}

#[tokio::test]
async fn loads_an_allowed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path());
    let mut c = amysql::connect(opts().local_infile(LocalInfile::allow([dir.path()]))).await.unwrap();
    let t = table(&mut c).await;
    let mut cur = c.cursor();
    let n = cur.execute(&load_sql(&t), (path.to_str().unwrap(),)).await.unwrap();
    assert_eq!((n, cur.rowcount(), cur.warning_count()), (LINES as u64, LINES as i64, 0));
    cur.execute(&format!("SELECT COUNT(*), SUM(b) FROM {t}"), ()).await.unwrap();
    let expected_sum = (0..LINES as i64).map(|i| i * 2).sum::<i64>();
    assert_eq!(cur.fetchone_as::<(i64, i64)>().await.unwrap(), Some((LINES as i64, expected_sum)));
}

#[tokio::test]
async fn disabled_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path());
    let mut c = amysql::connect(opts()).await.unwrap();
    let t = table(&mut c).await;
    let e = c.cursor().execute(&load_sql(&t), (path.to_str().unwrap(),)).await.unwrap_err();
    // Without the option the client does not announce CLIENT_LOCAL_FILES, so the server
    // refuses the statement itself (4166) and never asks for the file.
    assert_eq!(e.code(), Some(4166), "{e}");
    assert_eq!(count(&mut c, &t).await, 0);
    assert!(c.is_clean());
}

#[tokio::test]
async fn refuses_paths_outside_the_allow_list() {
    let allowed = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = data_file(elsewhere.path());
    let mut c = amysql::connect(opts().local_infile(LocalInfile::allow([allowed.path()]))).await.unwrap();
    let t = table(&mut c).await;
    // Directly, and by climbing out of the allowed directory.
    let climbing = allowed.path().join("..").join(elsewhere.path().file_name().unwrap()).join("load_local_data.txt");
    for path in [secret, climbing] {
        let e = c.cursor().execute(&load_sql(&t), (path.to_str().unwrap(),)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
        assert!(e.to_string().contains("not in the allowed paths"), "{e}");
        assert_eq!(count(&mut c, &t).await, 0, "the server saw an empty file");
    }
}

#[tokio::test]
async fn missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = amysql::connect(opts().local_infile(LocalInfile::allow([dir.path()]))).await.unwrap();
    let t = table(&mut c).await;
    let missing = dir.path().join("no_data.txt");
    let e = c.cursor().execute(&load_sql(&t), (missing.to_str().unwrap(),)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("cannot open") && msg.contains("no_data.txt"), "{msg}");
    assert_eq!(count(&mut c, &t).await, 0);
}

#[tokio::test]
async fn handler_supplies_the_contents_and_warnings_are_reported() {
    let handler = |name: &str| -> BoxFuture<'static, amysql::Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>>> {
        let body = if name == "warn.csv" { "1,2\nx,4\n5,6\n" } else { "7,8\n" };
        Box::pin(async move {
            Ok(Box::new(std::io::Cursor::new(body.as_bytes())) as Box<dyn tokio::io::AsyncRead + Send + Unpin>)
        })
    };
    let mut c = amysql::connect(opts().local_infile(LocalInfile::handler(handler))).await.unwrap();
    let t = table(&mut c).await;
    let mut cur = c.cursor();
    // aiomysql's test_load_warnings: a bad integer loads with a warning.
    assert_eq!(cur.execute(&load_sql(&t), ("warn.csv",)).await.unwrap(), 3);
    assert_eq!(cur.warning_count(), 1);
    drop(cur);
    let w = c.show_warnings().await.unwrap();
    assert!(w[0].message.contains("Incorrect integer value"), "{w:?}");
    assert_eq!(c.cursor().execute(&load_sql(&t), ("other.csv",)).await.unwrap(), 1);
    assert_eq!(count(&mut c, &t).await, 4);
}
