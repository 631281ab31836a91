//! One client connection: handshake, optional TLS upgrade, authentication, then a tiny
//! command loop (COM_PING, COM_QUERY `SELECT 1`, COM_QUIT, ...).

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::auth_flow::{authenticate, AuthContext};
use super::handshake::{handshake_v10, is_ssl_request, new_nonce, parse_handshake_response, BASE_CAPABILITIES};
use super::wire::{cap, column_def_longlong, eof_packet, err_packet, ok_packet, put_lenenc_bytes, Wire};
use super::{note, Shared};

pub(super) async fn serve(tcp: TcpStream, shared: Arc<Shared>, connection_id: u32) {
    note(&shared.log, "connect");
    if let Err(e) = run(tcp, &shared, connection_id).await {
        note(&shared.log, &format!("connection-error: {e}"));
    }
}

async fn run(tcp: TcpStream, shared: &Shared, connection_id: u32) -> io::Result<()> {
    let cfg = &shared.cfg;
    // With `switch_from` the handshake names a different plugin than the account uses,
    // so the client answers for the wrong one and must follow an AuthSwitchRequest.
    let advertised = cfg.switch_from.unwrap_or(cfg.plugin);
    let mut capabilities = BASE_CAPABILITIES;
    if cfg.tls.is_some() {
        capabilities |= cap::SSL;
    }
    let nonce = new_nonce();
    let mut wire = Wire::new(tcp);
    wire.write(&handshake_v10(connection_id, capabilities, &nonce, advertised)).await?;

    let Some(first) = wire.read().await? else {
        note(&shared.log, "closed-before-handshake-response");
        return Ok(());
    };
    if !is_ssl_request(&first) {
        let hs = Handshake { capabilities, nonce, advertised, secure: false };
        return after_handshake(wire, shared, hs, first).await;
    }
    let Some(tls) = &cfg.tls else {
        // CLIENT_SSL was never offered; mysqld would drop such a client too.
        note(&shared.log, "ssl-request-without-tls");
        return Ok(());
    };
    note(&shared.log, "ssl-request");
    // The sequence continues across the upgrade: the response after TLS is packet 2.
    let (tcp, seq) = wire.into_parts();
    let stream = TlsAcceptor::from(Arc::clone(tls)).accept(tcp).await?;
    note(&shared.log, "tls-established");
    let mut wire = Wire::with_seq(stream, seq);
    let payload = wire.read_required().await?;
    let hs = Handshake { capabilities, nonce, advertised, secure: true };
    after_handshake(wire, shared, hs, payload).await
}

/// What the server said in its handshake, needed to judge the client's response.
struct Handshake {
    capabilities: u32,
    nonce: [u8; 20],
    advertised: &'static str,
    secure: bool,
}

async fn after_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    mut wire: Wire<S>,
    shared: &Shared,
    hs: Handshake,
    payload: Vec<u8>,
) -> io::Result<()> {
    let log = &shared.log;
    let response = match parse_handshake_response(&payload) {
        Ok(r) => r,
        Err(e) => {
            note(log, &format!("bad-handshake: {e}"));
            return wire.write(&err_packet(1043, "08S01", "Bad handshake")).await;
        }
    };
    let plugin = response.plugin.as_deref().map(String::from_utf8_lossy);
    note(log, &format!("client-plugin:{}", plugin.as_deref().unwrap_or("none")));
    if let Some(db) = &response.database {
        note(log, &format!("db:{}", String::from_utf8_lossy(db)));
    }
    // The built-in `_` attributes vary per run; the others are what a test set.
    for (k, v) in response.attributes.iter().filter(|(k, _)| !k.starts_with(b"_")) {
        note(log, &format!("attr:{}={}", String::from_utf8_lossy(k), String::from_utf8_lossy(v)));
    }
    note(log, &format!("client-flags:{:#x}", response.capabilities));

    let ctx = AuthContext { cfg: &shared.cfg, keys: &shared.keys, secure: hs.secure, log };
    if !authenticate(&mut wire, &ctx, &response, &hs.nonce, hs.advertised).await? {
        note(log, "auth-failed");
        let message = format!(
            "Access denied for user '{}'@'localhost' (using password: {})",
            String::from_utf8_lossy(&response.user),
            if response.auth_response.is_empty() { "NO" } else { "YES" }
        );
        return wire.write(&err_packet(1045, "28000", &message)).await;
    }
    note(log, "auth-ok");
    wire.write(&ok_packet(0x00)).await?;
    commands(wire, shared, hs.capabilities & response.capabilities).await
}

async fn commands<S: AsyncRead + AsyncWrite + Unpin>(
    mut wire: Wire<S>,
    shared: &Shared,
    negotiated: u32,
) -> io::Result<()> {
    let log = &shared.log;
    loop {
        wire.reset_seq();
        let Some(packet) = wire.read().await? else {
            note(log, "client-closed");
            return Ok(());
        };
        let (command, body) = packet.split_first().map_or((0xff, &[][..]), |(c, b)| (*c, b));
        match command {
            0x01 => {
                note(log, "quit");
                return Ok(());
            }
            0x0e => {
                note(log, "ping");
                wire.write(&ok_packet(0x00)).await?;
            }
            0x02 => {
                note(log, &format!("init-db:{}", String::from_utf8_lossy(body)));
                wire.write(&ok_packet(0x00)).await?;
            }
            0x1f => {
                note(log, "reset-connection");
                wire.write(&ok_packet(0x00)).await?;
            }
            0x03 => query(&mut wire, shared, negotiated, body).await?,
            other => {
                note(log, &format!("unknown-command:0x{other:02x}"));
                wire.write(&err_packet(1047, "08S01", "Unknown command")).await?;
            }
        }
    }
}

/// Answers `SELECT 1` with a real result set and `SET ...` (drivers' session setup)
/// with OK; anything else is a syntax error, so a test notices an unexpected statement.
async fn query<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    shared: &Shared,
    negotiated: u32,
    body: &[u8],
) -> io::Result<()> {
    let sql = String::from_utf8_lossy(body);
    note(&shared.log, &format!("query:{sql}"));
    let normalized =
        sql.trim().trim_end_matches(';').split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    if normalized == "select 1" {
        let deprecate_eof = negotiated & cap::DEPRECATE_EOF != 0;
        wire.write(&[1]).await?; // column count
        wire.write(&column_def_longlong("1")).await?;
        if !deprecate_eof {
            wire.write(&eof_packet()).await?;
        }
        let mut row = Vec::new();
        put_lenenc_bytes(&mut row, b"1");
        wire.write(&row).await?;
        // Under DEPRECATE_EOF the result set ends with an OK packet whose header is
        // 0xFE, so old clients still see "EOF" and new ones get OK fields.
        let end = if deprecate_eof { ok_packet(0xfe) } else { eof_packet() };
        wire.write(&end).await
    } else if normalized.starts_with("set ") {
        wire.write(&ok_packet(0x00)).await
    } else {
        let msg = "You have an error in your SQL syntax; the fake server only knows SELECT 1";
        wire.write(&err_packet(1064, "42000", msg)).await
    }
}
