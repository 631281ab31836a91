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
            } else {
                vec![plugin::SHA256_REQUEST_PUBLIC_KEY]
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
        let mut asked_for_key = false;
        loop {
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
                if secure {
                    Ok(Some(with_nul(password)))
                } else if let Some(key) = &self.opts.server_public_key {
                    plugin::rsa_encrypt_password(password, nonce, key).map(Some)
                } else {
                    *asked_for_key = true;
                    Ok(Some(vec![plugin::CACHING_SHA2_REQUEST_PUBLIC_KEY]))
                }
            }
            plugin::CACHING_SHA2_PASSWORD | plugin::SHA256_PASSWORD if is_pem => {
                if !*asked_for_key && plugin_name == plugin::CACHING_SHA2_PASSWORD {
                    return Err(Error::Auth("the server sent a public key nobody asked for".into()));
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
    fn sha256_without_tls_or_key_requests_the_key() {
        let opts = ConnectOptions::new();
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"pw", b"n", false, &opts).unwrap(), vec![1]);
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"pw", b"n", true, &opts).unwrap(), b"pw\0");
        assert_eq!(initial_response(plugin::SHA256_PASSWORD, b"", b"n", false, &opts).unwrap(), vec![0]);
    }
}
