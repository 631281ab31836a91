//! Every example program runs against the test server and says what it should.

use std::process::Command;

use amysql_tests::server;

fn run(bin: &str) -> String {
    let out = Command::new(bin).env("DATABASE_URL", server().url()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{bin} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn hello() {
    assert!(run(env!("CARGO_BIN_EXE_hello")).contains(r#"[Some("2"), Some("héllo"), None]"#));
}

#[test]
fn callproc() {
    let out = run(env!("CARGO_BIN_EXE_callproc"));
    assert!(out.contains("incremented = 21") && out.contains("OUT doubled = 40"), "{out}");
}

#[test]
fn executemany() {
    let out = run(env!("CARGO_BIN_EXE_executemany"));
    assert!(out.contains("inserted 1000 rows") && out.contains("count = 1000, sum = 125125"), "{out}");
    assert!(out.contains("VALUES (1, 'person 1', 0.25e0),(2, 'person 2', 0.5e0),(3, 'person 3', 0.75e0)"), "{out}");
}

#[test]
fn transaction() {
    let out = run(env!("CARGO_BIN_EXE_transaction"));
    for line in [
        "after commit: 1 row(s)",
        "after rollback: 1 row(s)",
        "after a dropped guard: 1 row(s)",
        "after a rolled-back savepoint: 2 row(s)",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[test]
fn pool() {
    let out = run(env!("CARGO_BIN_EXE_pool"));
    assert!(out.contains("15^2 = 225") && out.contains("pool closed"), "{out}");
    assert!(out.contains("(maxsize 4)"), "{out}");
}

#[test]
fn dict_cursor() {
    let out = run(env!("CARGO_BIN_EXE_dict_cursor"));
    assert!(out.contains("-> apple") && out.contains("-> pear"), "{out}");
}

#[test]
fn ss_cursor() {
    let out = run(env!("CARGO_BIN_EXE_ss_cursor"));
    assert!(out.contains("streamed 200000 rows, sum of seq = 20000100000"), "{out}");
}

#[test]
fn sea_query() {
    let out = run(env!("CARGO_BIN_EXE_sea_query"));
    assert!(out.contains("SELECT `id`, `val` FROM `sa_tbl` WHERE `val` = ? ORDER BY `id` ASC"), "{out}");
    assert!(out.contains("1 Some(\"abc\")\n3 Some(\"abc\")\n"), "{out}");
    assert!(!out.contains("xyz"), "{out}");
}

#[test]
fn session_store() {
    let out = run(env!("CARGO_BIN_EXE_session_store"));
    for line in [
        "alice = Some(Ok(\"{\\\"cart\\\": 4}\"))",
        "bob (expired) = None",
        "purged 1 expired session(s)",
        "deleted alice: true",
        "alice after delete = None",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[test]
fn event_queue() {
    let out = run(env!("CARGO_BIN_EXE_event_queue"));
    assert!(out.contains("published 100") && out.contains("acked 100, nacked 1, pending 0"), "{out}");
}
