//! The data-directory template: `mariadb-install-db` takes ~2 s, so it runs
//! once per (layout, server version, uid) and every server gets a copy.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::programs::{euid, Programs};

/// Bump when the install options change, so stale templates are not reused.
const LAYOUT: u32 = 1;

/// InnoDB options shared by install-db and the server (a small redo log keeps
/// the template, and therefore each copy, small).
pub(crate) const INNODB_ARGS: &[&str] =
    &["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=8M", "--innodb-use-native-aio=0", "--skip-log-bin"];

/// Returns the template dir, building it if needed. Concurrent test binaries
/// may race: each installs into its own sibling and renames it into place;
/// the loser discards its copy. A rename is atomic, so an existing template
/// is always complete.
pub(crate) fn ensure(programs: &Programs) -> Result<PathBuf, String> {
    // Threads of one process wait for one install instead of racing.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let name = format!("amysql-test-template-v{LAYOUT}-{}-u{}", programs.server_version()?, euid());
    let dir = env::temp_dir().join(&name);
    if dir.join("mysql").is_dir() {
        return Ok(dir);
    }
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp = env::temp_dir().join(format!("{name}.tmp-{}-{nanos}", std::process::id()));
    let result = install(programs, &tmp).and_then(|()| match fs::rename(&tmp, &dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.join("mysql").is_dir() => Ok(()), // another process won
        Err(e) => Err(format!("rename {} -> {}: {e}", tmp.display(), dir.display())),
    });
    let _ = fs::remove_dir_all(&tmp);
    result.map(|()| dir)
}

fn install(programs: &Programs, datadir: &Path) -> Result<(), String> {
    // Its own tmpdir: concurrent bootstraps sharing /tmp trip over each
    // other's temporary tables.
    let tmpdir = PathBuf::from(format!("{}-tmpdir", datadir.display()));
    fs::create_dir_all(&tmpdir).map_err(|e| format!("create {}: {e}", tmpdir.display()))?;
    let mut cmd = Command::new(&programs.install_db);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", datadir.display()))
        .arg(format!("--tmpdir={}", tmpdir.display()))
        // Passwordless root@localhost: works for whatever OS user runs the
        // tests (socket auth would tie root to the OS user `root`).
        .arg("--auth-root-authentication-method=normal")
        .args(["--skip-test-db", "--skip-name-resolve"])
        .args(INNODB_ARGS);
    if euid() == 0 {
        cmd.arg("--user=root");
    }
    let out = cmd.output();
    let _ = fs::remove_dir_all(&tmpdir);
    let out = out.map_err(|e| format!("run {}: {e}", programs.install_db.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}\n{}",
            programs.install_db.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Recursive copy (files and dirs only; a fresh datadir has nothing else).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("read {}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| format!("copy {} -> {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}
