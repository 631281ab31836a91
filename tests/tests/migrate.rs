//! Migrations against the private MariaDB, each test in a database of its own.

use std::path::Path;

use amysql::migrate::Migrator;
use amysql::{ConnectOptions, Connection};
use amysql_tests::{server, unique_name};

async fn fresh_db() -> (String, ConnectOptions) {
    let db = unique_name("mig");
    let mut admin = amysql::connect(server().url().as_str()).await.unwrap();
    admin.query_drop(&format!("CREATE DATABASE {db}")).await.unwrap();
    let opts: ConnectOptions = server().url().parse().unwrap();
    (db.clone(), opts.db(db))
}

fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join(name), sql).unwrap();
}

async fn scalar(c: &mut Connection, sql: &str) -> String {
    c.query_text(sql).await.unwrap()[0][0].clone().unwrap_or_default()
}

fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_create_items.up.sql", "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));");
    write(dir.path(), "1_create_items.down.sql", "DROP TABLE items;");
    write(dir.path(), "2_seed.up.sql", "INSERT INTO items VALUES (1, 'a');\nINSERT INTO items VALUES (2, 'b');");
    write(dir.path(), "2_seed.down.sql", "DELETE FROM items;");
    dir
}

#[tokio::test]
async fn run_twice_is_a_noop_and_undo_reverts() {
    let (_db, opts) = fresh_db().await;
    let dir = sample_dir();
    let m = Migrator::from_dir(dir.path()).unwrap();
    let mut c = amysql::connect(opts).await.unwrap();
    assert_eq!(m.run(&mut c).await.unwrap(), vec![1, 2]);
    assert_eq!(m.run(&mut c).await.unwrap(), Vec::<i64>::new());
    assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM items").await, "2");
    let st = m.status(&mut c).await.unwrap();
    assert!(st.iter().all(|s| s.applied && !s.dirty && !s.checksum_mismatch), "{st:?}");
    assert_eq!(m.undo(&mut c, 1).await.unwrap(), vec![2]);
    assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM items").await, "0");
    assert_eq!(m.undo(&mut c, 0).await.unwrap(), vec![1]);
    assert!(c.query_drop("SELECT * FROM items").await.is_err());
    assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM _amysql_migrations").await, "0");
}

#[tokio::test]
async fn concurrent_runs_apply_each_migration_once() {
    let (_db, opts) = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_log.sql", "CREATE TABLE log (n INT);");
    // Not idempotent on purpose: a second application would leave two rows.
    write(dir.path(), "2_slow_insert.sql", "DO SLEEP(0.3); INSERT INTO log VALUES (1);");
    let m = Migrator::from_dir(dir.path()).unwrap();
    let (mut a, mut b) = (amysql::connect(opts.clone()).await.unwrap(), amysql::connect(opts).await.unwrap());
    let (ra, rb) = tokio::join!(m.run(&mut a), m.run(&mut b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.len() + rb.len(), 2, "{ra:?} {rb:?}");
    assert_eq!(scalar(&mut a, "SELECT COUNT(*) FROM log").await, "1");
}

#[tokio::test]
async fn edited_migration_is_a_checksum_error() {
    let (_db, opts) = fresh_db().await;
    let dir = sample_dir();
    let mut c = amysql::connect(opts).await.unwrap();
    Migrator::from_dir(dir.path()).unwrap().run(&mut c).await.unwrap();
    write(dir.path(), "2_seed.up.sql", "INSERT INTO items VALUES (3, 'c');");
    let m = Migrator::from_dir(dir.path()).unwrap();
    let e = m.run(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("checksum mismatch"), "{e}");
    assert!(m.status(&mut c).await.unwrap()[1].checksum_mismatch);
}

#[tokio::test]
async fn failing_migration_leaves_a_dirty_mark_that_blocks() {
    let (_db, opts) = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_ok.sql", "CREATE TABLE t1 (a INT);");
    write(dir.path(), "2_broken.sql", "CREATE TABLE t2 (a INT); SELECT * FROM no_such_table;");
    write(dir.path(), "3_later.sql", "CREATE TABLE t3 (a INT);");
    let m = Migrator::from_dir(dir.path()).unwrap();
    let mut c = amysql::connect(opts).await.unwrap();
    let e = m.run(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("migration 2 (broken) failed"), "{e}");
    let e = m.run(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("marked dirty"), "{e}");
    assert!(c.query_drop("SELECT * FROM t3").await.is_err(), "migration 3 must not run");
    let st = m.status(&mut c).await.unwrap();
    assert!(st[0].applied && st[1].dirty && !st[2].applied, "{st:?}");
    // The lock was released despite the error: another connection can take it.
    assert_eq!(scalar(&mut c, "SELECT IS_FREE_LOCK(CONCAT('amysql_migrate.', DATABASE()))").await, "1");
}

#[test]
fn bad_directory_and_names_are_errors() {
    assert!(Migrator::from_dir("/no/such/dir").is_err());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "create_table.sql", "SELECT 1");
    assert!(Migrator::from_dir(dir.path()).is_err());
}

/// A relay to the test server that rewrites `from` into `to` (same length, so packet
/// framing stays valid) in what the server sends: how a hostile server or a corrupting
/// network would hand the client a cell MariaDB itself can never produce.
async fn rewriting_proxy(from: &'static [u8], to: &'static [u8]) -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    assert_eq!(from.len(), to.len());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = server().port();
    let task = tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let outbound = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
            let (mut client_rd, mut client_wr) = inbound.into_split();
            let (mut server_rd, mut server_wr) = outbound.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_rd, &mut server_wr).await;
            });
            tokio::spawn(async move {
                // The rows here are a few dozen bytes, sent in one write: a marker split
                // across two reads would just leave the cell intact and fail the test.
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = server_rd.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let chunk = &mut buf[..n];
                    for start in 0..n.saturating_sub(from.len() - 1) {
                        if &chunk[start..start + from.len()] == from {
                            chunk[start..start + from.len()].copy_from_slice(to);
                        }
                    }
                    if client_wr.write_all(chunk).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, task)
}

/// A checksum cell that is not ASCII (`HEX(checksum)` answered with "aé…") used to panic
/// status, run and undo ("byte index 2 is not a char boundary"); each is now an error that
/// names the migration, and nothing is applied or reverted.
#[tokio::test]
async fn non_ascii_checksum_from_the_server_is_an_error() {
    let (_db, opts) = fresh_db().await;
    let dir = sample_dir();
    let m = Migrator::from_dir(dir.path()).unwrap();
    let mut direct = amysql::connect(opts.clone()).await.unwrap();
    assert_eq!(m.run(&mut direct).await.unwrap(), vec![1, 2]);
    direct.query_drop("UPDATE _amysql_migrations SET checksum = X'DEADBEEFCAFE' WHERE version = 2").await.unwrap();

    let (port, relay) = rewriting_proxy(b"DEADBEEFCAFE", "aé012345678".as_bytes()).await;
    let opts = opts.host("127.0.0.1").port(port).ssl_mode(amysql::SslMode::Disabled);
    let mut c = amysql::connect(opts).await.unwrap();
    let hex = scalar(&mut c, "SELECT HEX(checksum) FROM _amysql_migrations WHERE version = 2").await;
    assert_eq!(hex, "aé012345678", "the relay must corrupt the cell for this test to mean anything");

    let e = m.status(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("migration 2") && e.to_string().contains("checksum"), "{e}");
    let e = m.run(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("migration 2"), "{e}");
    let e = m.undo(&mut c, 0).await.unwrap_err();
    assert!(e.to_string().contains("migration 2"), "{e}");
    // Nothing was undone, the connection still works, and the lock was released.
    assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM items").await, "2");
    assert_eq!(scalar(&mut c, "SELECT IS_FREE_LOCK(CONCAT('amysql_migrate.', DATABASE()))").await, "1");
    relay.abort();
}
