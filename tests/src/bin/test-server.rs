//! Starts a private MariaDB (for scripts/demo): prints `DATABASE_URL=<url>`
//! on stdout, then keeps the server until stdin closes, SIGTERM or Ctrl-C.
//! The server is removed on the way out (and by the harness watchdog if
//! this process is killed outright).

use std::io::{Read, Write};

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::oneshot;

fn main() {
    let server = amysql_tests::disposable();
    println!("DATABASE_URL={}", server.url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "test-server: MariaDB on 127.0.0.1:{} (socket {}) ready in {:?}; \
         close stdin or send SIGTERM to stop it",
        server.port(),
        server.socket_path().map(|p| p.display().to_string()).unwrap_or_default(),
        server.startup_time()
    );

    // A plain thread, not spawn_blocking: the runtime would wait for a
    // blocking stdin read on shutdown.
    let (closed_tx, closed_rx) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = closed_tx.send(());
    });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let why = runtime.block_on(async {
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => return format!("cannot watch SIGTERM: {e}"),
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM".to_string(),
            _ = tokio::signal::ctrl_c() => "SIGINT".to_string(),
            _ = closed_rx => "stdin closed".to_string(),
        }
    });
    eprintln!("test-server: {why}; stopping MariaDB");
    drop(server);
    std::process::exit(0);
}
