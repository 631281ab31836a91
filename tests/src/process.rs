//! Spawning mariadbd, waiting for it, and the watchdog that cleans up after
//! test processes that end with `std::process::exit` (statics never drop).

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long a server may take to accept connections before we give up.
pub(crate) const READY_DEADLINE: Duration = Duration::from_secs(30);

/// File (inside the server dir) holding the pid of the running mariadbd, for
/// the watchdog. Removed before the harness itself kills or reaps the server,
/// so the watchdog can never signal a recycled pid.
pub(crate) fn pid_file(dir: &Path) -> PathBuf {
    dir.join("harness-mariadbd.pid")
}

/// Polls the test process; once it is gone, SIGKILLs the mariadbd named in
/// the pid file (only if its command line still names our data dir) and
/// removes the whole server dir. Own process group, so a Ctrl-C aimed at the
/// test run does not kill the watchdog before it has cleaned up.
const WATCHDOG: &str = r#"
parent=$1 dir=$2
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
pid=$(cat "$dir/harness-mariadbd.pid" 2>/dev/null || true)
if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/data"; then
  kill -9 "$pid" 2>/dev/null
  # wait until it is dead (or a zombie) so nothing writes into the dir we remove
  i=0
  while [ $i -lt 100 ] && read -r _ _ state _ < "/proc/$pid/stat" 2>/dev/null && [ "$state" != Z ]; do
    sleep 0.05; i=$((i+1))
  done
fi
rm -rf "$dir"
"#;

pub(crate) fn spawn_watchdog(dir: &Path) -> Result<Child, String> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("amysql-test-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn watchdog: {e}"))
}

/// Starts mariadbd in its own process group (a terminal Ctrl-C must not take
/// it down half-way; the watchdog or `Drop` ends it) and records its pid.
pub(crate) fn spawn_mariadbd(mariadbd: &Path, args: &[String], dir: &Path) -> Result<Child, String> {
    let child = Command::new(mariadbd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", mariadbd.display()))?;
    fs::write(pid_file(dir), child.id().to_string())
        .map_err(|e| format!("write pid file in {}: {e}", dir.display()))?;
    Ok(child)
}

/// SIGKILLs and reaps a mariadbd started by `spawn_mariadbd`.
pub(crate) fn kill_mariadbd(child: &mut Child, dir: &Path) {
    let _ = fs::remove_file(pid_file(dir));
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until the server sends its handshake on the unix socket. Errors
/// early if the process exits (bad option, port taken, ...).
pub(crate) fn wait_ready(child: &mut Child, socket: &Path) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("mariadbd exited during start-up ({status})"));
        }
        if let Ok(mut stream) = UnixStream::connect(socket) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut header = [0u8; 4];
            if stream.read_exact(&mut header).is_ok() {
                return Ok(());
            }
        }
        if start.elapsed() > READY_DEADLINE {
            return Err(format!(
                "mariadbd did not accept connections on {} within {READY_DEADLINE:?}",
                socket.display()
            ));
        }
        sleep(Duration::from_millis(10));
    }
}

/// A port that was free a moment ago (the listener is released at once, so
/// another process may grab it; callers retry on "address in use").
pub(crate) fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("find a free port: {e}"))
}

/// Last `lines` lines of a log file (empty if unreadable).
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
