//! Running an authentication exchange after the handshake response: the framing (auth
//! switch, AuthMoreData, OK/ERR) and the round cap. What to answer is the plugin's business
//! (`auth_plugin.rs`: the built-in plugins and user-registered ones behind one trait).

use std::sync::Arc;

use super::auth_plugin::{self, AuthContext, AuthPlugin};
use super::Connection;
use crate::error::{Error, Result};
use crate::opts::ConnectOptions;
use crate::protocol::buf::Reader;
use crate::protocol::packet::write_packet;
use crate::protocol::response::{ErrPacket, OkPacket};

/// Server packets one authentication exchange may take before the client gives up. The
/// longest real exchange, caching_sha2_password full authentication with key retrieval
/// after an auth switch, takes four (switch, "full auth", public key, OK); the margin is
/// for servers that add a step, and the cap stops a server that never finishes from
/// holding the connection until `connect_timeout`.
pub(crate) const MAX_AUTH_ROUNDS: usize = 8;

/// One plugin's side of the exchange: switched for a new one on AuthSwitchRequest.
pub(crate) struct Exchange {
    plugin: Arc<dyn AuthPlugin>,
    ctx: AuthContext,
    /// A user-registered plugin gets every non-OK/ERR/switch packet; built-in plugins only
    /// ever receive AuthMoreData, and anything else is a protocol error.
    custom: bool,
}

/// Starts plugin `name` on the server's `data` (nonce) and returns its first response.
pub(crate) fn start(
    opts: &Arc<ConnectOptions>,
    name: &str,
    data: &[u8],
    password: &[u8],
    secure: bool,
) -> Result<(Exchange, Vec<u8>)> {
    let plugin = auth_plugin::find(opts, name).ok_or_else(|| auth_plugin::unsupported(name))?;
    let mut ctx = AuthContext::new(name, data, password, secure, Arc::clone(opts));
    let first = plugin.first_response(&mut ctx)?;
    Ok((Exchange { plugin, ctx, custom: auth_plugin::is_custom(opts, name) }, first))
}

/// Whether the client can answer plugin `name` in the handshake response directly.
pub(crate) fn is_known(opts: &ConnectOptions, name: &str) -> bool {
    auth_plugin::find(opts, name).is_some()
}

impl Connection {
    fn send_auth_data(&mut self, data: &[u8]) {
        let mut seq = self.io.seq;
        write_packet(self.io.write_buf(), data, &mut seq);
        self.io.seq = seq;
    }

    /// Runs the exchange until the server says OK (or refuses).
    pub(crate) async fn authenticate(&mut self, mut ex: Exchange) -> Result<()> {
        for _ in 0..MAX_AUTH_ROUNDS {
            let p = self.io.read_packet().await?;
            match p.first() {
                Some(0x00) => {
                    let ok = OkPacket::decode(&p, self.caps)?;
                    self.status = ok.status;
                    return Ok(());
                }
                Some(0xff) => return Err(ErrPacket::decode(&p, self.caps)?.into_error()),
                Some(0xfe) => {
                    // AuthSwitchRequest: a new plugin and a new nonce.
                    let mut r = Reader::new(&p[1..], "auth switch request");
                    if r.is_empty() {
                        return Err(Error::Auth(
                            "the server asked for the pre-4.1 password hash, which is insecure and unsupported".into(),
                        ));
                    }
                    let name = String::from_utf8_lossy(r.null_terminated()?).into_owned();
                    let nonce = r.eof_string().to_vec();
                    let secure = self.io.stream.is_secure();
                    let password = ex.ctx.password().to_vec();
                    let (next, resp) = start(&self.opts, &name, &nonce, &password, secure)?;
                    ex = next;
                    self.send_auth_data(&resp);
                    self.io.flush().await?;
                }
                Some(&b) if b == 0x01 || ex.custom => {
                    // MariaDB wraps plugin data in AuthMoreData only when its first byte
                    // could be mistaken for OK/ERR/switch (or is 0x01 itself).
                    let data = if b == 0x01 { &p[1..] } else { &p[..] };
                    ex.ctx.count_round();
                    if let Some(reply) = ex.plugin.next_response(&mut ex.ctx, data)? {
                        self.send_auth_data(&reply);
                        self.io.flush().await?;
                    }
                }
                Some(b) => return Err(Error::protocol(format!("unexpected packet 0x{b:02x} during authentication"))),
                None => return Err(Error::protocol("empty packet during authentication")),
            }
        }
        Err(Error::Auth(format!(
            "the server did not finish authentication within {MAX_AUTH_ROUNDS} rounds \
             (auth switch / more-data packets); giving up"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::auth as plugin;

    fn initial_response(name: &str, pw: &[u8], nonce: &[u8], secure: bool, opts: &ConnectOptions) -> Result<Vec<u8>> {
        start(&Arc::new(opts.clone()), name, nonce, pw, secure).map(|(_, r)| r)
    }

    #[test]
    fn cleartext_needs_opt_in_and_a_secure_transport() {
        let opts = ConnectOptions::new();
        let e = initial_response(plugin::MYSQL_CLEAR_PASSWORD, b"pw", b"", true, &opts).unwrap_err();
        assert!(e.to_string().contains("enable_cleartext_plugin"), "{e}");
        let opts = opts.enable_cleartext_plugin(true);
        let e = initial_response(plugin::MYSQL_CLEAR_PASSWORD, b"pw", b"", false, &opts).unwrap_err();
        assert!(e.to_string().contains("without TLS") && !e.to_string().contains("pw\0"), "{e}");
        assert_eq!(initial_response(plugin::MYSQL_CLEAR_PASSWORD, b"pw", b"", true, &opts).unwrap(), b"pw\0");
        let opts = opts.allow_cleartext_without_tls(true);
        assert_eq!(initial_response(plugin::MYSQL_CLEAR_PASSWORD, b"pw", b"", false, &opts).unwrap(), b"pw\0");
    }

    #[test]
    fn unknown_plugin_is_a_clear_error() {
        let e = initial_response("auth_gssapi_client", b"pw", b"", true, &ConnectOptions::new()).unwrap_err();
        assert!(e.to_string().contains("`auth_gssapi_client`"), "{e}");
    }

    #[test]
    fn sha256_without_tls_or_key_requests_the_key_only_when_allowed() {
        let opts = ConnectOptions::new();
        let e = initial_response(plugin::SHA256_PASSWORD, b"pw", b"n", false, &opts).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("server_public_key") && text.contains("allow_public_key_retrieval"), "{text}");
        assert!(matches!(e, Error::Auth(_)), "{e:?}");
        // TLS or a unix socket: the password goes as it is; an empty password needs no key.
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"pw", b"n", true, &opts).unwrap(), b"pw\0");
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"", b"n", false, &opts).unwrap(), vec![0]);
        let opts = opts.allow_public_key_retrieval(true);
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"pw", b"n", false, &opts).unwrap(), vec![1]);
    }
}
