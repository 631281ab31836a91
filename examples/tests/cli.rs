//! Drives the `amysql-cli` binary against the private MariaDB.

use std::process::Command;

use amysql_tests::{server, unique_name};

fn cli(url: &str, source: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amysql-cli"))
        .args(["--database-url", url, "--source"])
        .arg(source)
        .args(args)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn migrate_add_run_info_revert() {
    let db = unique_name("cli");
    server().cli(&format!("CREATE DATABASE {db}")).unwrap();
    let url = server().url().replacen("/test", &format!("/{db}"), 1);
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = cli(&url, dir.path(), &["migrate", "add", "create_notes"]);
    assert!(ok, "{out}");
    assert!(out.contains("0001_create_notes.up.sql"), "{out}");
    std::fs::write(dir.path().join("0001_create_notes.up.sql"), "CREATE TABLE notes (id INT);").unwrap();
    std::fs::write(dir.path().join("0001_create_notes.down.sql"), "DROP TABLE notes;").unwrap();

    let (ok, out) = cli(&url, dir.path(), &["migrate", "info"]);
    assert!(ok && out.contains("pending") && out.contains("create notes"), "{out}");
    let (ok, out) = cli(&url, dir.path(), &["migrate", "run"]);
    assert!(ok && out.contains("applied 1 migration(s): [1]"), "{out}");
    let (ok, out) = cli(&url, dir.path(), &["migrate", "info"]);
    assert!(ok && out.contains("applied") && !out.contains("pending"), "{out}");
    assert_eq!(server().cli(&format!("SELECT COUNT(*) FROM {db}.notes")).unwrap(), "0");
    let (ok, out) = cli(&url, dir.path(), &["migrate", "revert"]);
    assert!(ok && out.contains("reverted [1]"), "{out}");
    assert!(server().cli(&format!("SELECT COUNT(*) FROM {db}.notes")).is_err());
}

#[test]
fn usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = cli("mysql://x@127.0.0.1:1/x", dir.path(), &["frobnicate"]);
    assert!(!ok && out.contains("usage"), "{out}");
    let (ok, out) = cli("mysql://x@127.0.0.1:1/x", dir.path(), &["migrate", "add", "bad name!"]);
    assert!(!ok && out.contains("must be letters"), "{out}");
}
