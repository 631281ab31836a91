//! Authentication exchanges after the handshake response: auth switch, caching_sha2's
//! fast/full paths with TLS, socket or RSA, sha256_password, cleartext and ed25519.

use super::Connection;
use crate::error::{Error, Result};
use crate::opts::ConnectOptions;
use crate::protocol::auth as plugin;
use crate::protocol::buf::Reader;
use crate::protocol::packet::write_packet;
use crate::protocol::response::{ErrPacket, OkPacket};

/// Plugins the client can answer directly in the handshake response.
pub(crate) fn is_known(name: &str) -> bool {
    matches!(
        name,
        plugin::MYSQL_NATIVE_PASSWORD
            | plugin::CACHING_SHA2_PASSWORD
            | plugin::SHA256_PASSWORD
            | plugin::MYSQL_CLEAR_PASSWORD
            | plugin::CLIENT_ED25519
    )
}

/// Server packets one authentication exchange may take before the client gives up. The
/// longest real exchange, caching_sha2_password full authentication with key retrieval
/// after an auth switch, takes four (switch, "full auth", public key, OK); the margin is
/// for servers that add a step, and the cap stops a server that never finishes from
/// holding the connection until `connect_timeout`.
pub(crate) const MAX_AUTH_ROUNDS: usize = 8;

/// Why the password cannot be sent over plain TCP without a trusted RSA key. Retrieving
/// the key from the server would hand it to whoever answers: any server, or anybody in
/// between, could send its own key and decrypt the password.
fn no_trusted_key(plugin_name: &str) -> Error {
    Error::Auth(format!(
        "{plugin_name} needs to send the password, and the connection has neither TLS nor a unix socket; \
         give the server's RSA public key with ConnectOptions::server_public_key(pem), use TLS, \
         or let the server supply its key with allow_public_key_retrieval(true) \
         (URL allow_public_key_retrieval=true), which trusts whoever answers"
    ))
}

/// Whether sha256_password's first response is the request for the server's key (the
/// exchange then expects the key back, and nothing else is accepted as one).
fn sha256_requests_key(password: &[u8], secure: bool, opts: &ConnectOptions) -> bool {
    !password.is_empty() && !secure && opts.server_public_key.is_none() && opts.allow_public_key_retrieval
}

fn with_nul(password: &[u8]) -> Vec<u8> {
    let mut v = password.to_vec();
    v.push(0);
    v
}

/// The first auth response for `plugin_name`, sent in the handshake response or after an
/// auth switch.
pub(crate) fn initial_response(
    plugin_name: &str,
    password: &[u8],
    nonce: &[u8],
    secure: bool,
    opts: &ConnectOptions,
) -> Result<Vec<u8>> {
    Ok(match plugin_name {
        plugin::MYSQL_NATIVE_PASSWORD => plugin::scramble_native(password, nonce),
        plugin::CACHING_SHA2_PASSWORD => plugin::scramble_caching_sha2(password, nonce),
        plugin::SHA256_PASSWORD => {
            if password.is_empty() {
                vec![0]
            } else if secure {
                with_nul(password)
            } else if let Some(key) = &opts.server_public_key {
                plugin::rsa_encrypt_password(password, nonce, key)?
            } else if sha256_requests_key(password, secure, opts) {
                vec![plugin::SHA256_REQUEST_PUBLIC_KEY]
            } else {
                return Err(no_trusted_key(plugin_name));
            }
        }
        plugin::MYSQL_CLEAR_PASSWORD => {
            if !opts.enable_cleartext_plugin {
                return Err(Error::Auth(
                    "the server asked for mysql_clear_password, which sends the password unencrypted; \
                     enable it with ConnectOptions::enable_cleartext_plugin(true)"
                        .into(),
                ));
            }
            if !secure && !opts.allow_cleartext_without_tls {
                return Err(Error::Auth(
                    "refusing to send a cleartext password over TCP without TLS \
                     (use TLS, a unix socket, or allow_cleartext_without_tls(true))"
                        .into(),
                ));
            }
            with_nul(password)
        }
        plugin::CLIENT_ED25519 => plugin::ed25519_response(password, nonce).to_vec(),
        other => {
            return Err(Error::Auth(format!(
                "the server requested authentication plugin `{other}`, which amysql does not support"
            )))
        }
    })
}

impl Connection {
    fn send_auth_data(&mut self, data: &[u8]) {
        let mut seq = self.io.seq;
        write_packet(self.io.write_buf(), data, &mut seq);
        self.io.seq = seq;
    }

    /// Runs the exchange until the server says OK (or refuses).
    pub(crate) async fn authenticate(&mut self, mut plugin_name: String, mut nonce: Vec<u8>) -> Result<()> {
        let opts = self.opts.clone();
        let password = opts.password.clone().unwrap_or_default();
        let password = password.as_bytes();
        // Set when the client has just asked for the server's RSA key: a key is accepted
        // only as the answer to that request, and only once.
        let mut asked_for_key =
            plugin_name == plugin::SHA256_PASSWORD && sha256_requests_key(password, self.io.stream.is_secure(), &opts);
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
                    plugin_name = String::from_utf8_lossy(r.null_terminated()?).into_owned();
                    nonce = r.eof_string().to_vec();
                    let secure = self.io.stream.is_secure();
                    let resp = initial_response(&plugin_name, password, &nonce, secure, &opts)?;
                    asked_for_key =
                        plugin_name == plugin::SHA256_PASSWORD && sha256_requests_key(password, secure, &opts);
                    self.send_auth_data(&resp);
                    self.io.flush().await?;
                }
                Some(0x01) => {
                    let data = &p[1..];
                    let reply = self.more_data(&plugin_name, data, password, &nonce, &mut asked_for_key)?;
                    if let Some(reply) = reply {
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

    /// Answers an AuthMoreData packet. `None` means: nothing to send, read on.
    fn more_data(
        &self,
        plugin_name: &str,
        data: &[u8],
        password: &[u8],
        nonce: &[u8],
        asked_for_key: &mut bool,
    ) -> Result<Option<Vec<u8>>> {
        let secure = self.io.stream.is_secure();
        let is_pem = data.starts_with(b"-----BEGIN");
        match plugin_name {
            plugin::CACHING_SHA2_PASSWORD if data == [plugin::CACHING_SHA2_FAST_AUTH_OK] => Ok(None),
            plugin::CACHING_SHA2_PASSWORD if data == [plugin::CACHING_SHA2_FULL_AUTH] => {
                if secure || password.is_empty() {
                    // An empty password is no secret: it needs no key.
                    Ok(Some(with_nul(password)))
                } else if let Some(key) = &self.opts.server_public_key {
                    plugin::rsa_encrypt_password(password, nonce, key).map(Some)
                } else if self.opts.allow_public_key_retrieval {
                    *asked_for_key = true;
                    Ok(Some(vec![plugin::CACHING_SHA2_REQUEST_PUBLIC_KEY]))
                } else {
                    Err(no_trusted_key(plugin_name))
                }
            }
            plugin::CACHING_SHA2_PASSWORD | plugin::SHA256_PASSWORD if is_pem => {
                // A key the client did not ask for is how a man in the middle would swap
                // in its own key after the client used a configured one (or TLS).
                if !std::mem::take(asked_for_key) {
                    return Err(Error::Auth(
                        "the server sent an RSA public key the client did not ask for; refusing to \
                         encrypt the password with it"
                            .into(),
                    ));
                }
                plugin::rsa_encrypt_password(password, nonce, data).map(Some)
            }
            _ => Err(Error::Auth(format!("unexpected extra authentication data for plugin `{plugin_name}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
