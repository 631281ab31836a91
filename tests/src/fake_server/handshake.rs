//! The connection-phase packets: the server's HandshakeV10 and the client's SSLRequest /
//! HandshakeResponse41.

use std::io;

use rand::Rng;

use super::wire::{cap, Cursor, STATUS_AUTOCOMMIT};

pub const SERVER_VERSION: &str = "8.0.36-fake";

/// utf8mb4_0900_ai_ci, MySQL 8's default collation.
const CHARSET_UTF8MB4_0900: u8 = 255;

/// What a MySQL 8.0 server offers. QUERY_ATTRIBUTES and friends are left out on purpose:
/// they change the COM_QUERY layout and this server only needs the classic one.
pub const BASE_CAPABILITIES: u32 = cap::LONG_PASSWORD
    | cap::FOUND_ROWS
    | cap::LONG_FLAG
    | cap::CONNECT_WITH_DB
    | cap::PROTOCOL_41
    | cap::TRANSACTIONS
    | cap::SECURE_CONNECTION
    | cap::MULTI_STATEMENTS
    | cap::MULTI_RESULTS
    | cap::PS_MULTI_RESULTS
    | cap::PLUGIN_AUTH
    | cap::CONNECT_ATTRS
    | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
    | cap::SESSION_TRACK
    | cap::DEPRECATE_EOF;

/// A fresh 20-byte scramble. Like MySQL's `generate_user_salt`: 7-bit, never NUL (the
/// handshake NUL-terminates it) and never `$` (the stored-hash separator).
pub fn new_nonce() -> [u8; 20] {
    let mut rng = rand::thread_rng();
    let mut nonce = [0u8; 20];
    for b in &mut nonce {
        *b = loop {
            let c: u8 = rng.gen_range(1..=127);
            if c != b'$' {
                break c;
            }
        };
    }
    nonce
}

/// Protocol::HandshakeV10.
pub fn handshake_v10(connection_id: u32, capabilities: u32, nonce: &[u8; 20], plugin: &str) -> Vec<u8> {
    let mut p = vec![10];
    p.extend_from_slice(SERVER_VERSION.as_bytes());
    p.push(0);
    p.extend_from_slice(&connection_id.to_le_bytes());
    p.extend_from_slice(&nonce[..8]);
    p.push(0); // filler
    p.extend_from_slice(&capabilities.to_le_bytes()[..2]);
    p.push(CHARSET_UTF8MB4_0900);
    p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    p.extend_from_slice(&capabilities.to_le_bytes()[2..]);
    p.push(21); // auth-plugin-data length: 20-byte scramble + NUL
    p.extend_from_slice(&[0; 10]); // reserved
    p.extend_from_slice(&nonce[8..]);
    p.push(0);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p
}

/// An SSLRequest is the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL set; a
/// real HandshakeResponse41 is always longer (it carries at least the username's NUL).
pub fn is_ssl_request(payload: &[u8]) -> bool {
    payload.len() == 32 && u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]) & cap::SSL != 0
}

/// Protocol::HandshakeResponse41, fields kept as bytes so that tests can assert on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    pub capabilities: u32,
    pub max_packet: u32,
    pub charset: u8,
    pub user: Vec<u8>,
    pub auth_response: Vec<u8>,
    pub database: Option<Vec<u8>>,
    pub plugin: Option<Vec<u8>>,
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Parses the response strictly, the way mysqld does: every field the client's capability
/// flags announce must be present and well-formed.
pub fn parse_handshake_response(payload: &[u8]) -> io::Result<HandshakeResponse> {
    let mut c = Cursor::new(payload, "HandshakeResponse41");
    let capabilities = c.u32()?;
    if capabilities & cap::PROTOCOL_41 == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "client lacks CLIENT_PROTOCOL_41"));
    }
    let max_packet = c.u32()?;
    let charset = c.u8()?;
    c.take(23)?; // filler
    let user = c.null_terminated()?.to_vec();
    let auth_response = if capabilities & cap::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        c.lenenc_bytes()?
    } else if capabilities & cap::SECURE_CONNECTION != 0 {
        let len = c.u8()?;
        c.take(usize::from(len))?
    } else {
        c.null_terminated()?
    }
    .to_vec();
    let database = if capabilities & cap::CONNECT_WITH_DB != 0 { Some(c.null_terminated()?.to_vec()) } else { None };
    let plugin = if capabilities & cap::PLUGIN_AUTH != 0 {
        // libmysqlclient always NUL-terminates; tolerate a name running to the end as
        // mysqld does when no attributes follow.
        match c.null_terminated() {
            Ok(p) => Some(p.to_vec()),
            Err(_) => Some(c.take(c.rest().len())?.to_vec()),
        }
    } else {
        None
    };
    let mut attributes = Vec::new();
    if capabilities & cap::CONNECT_ATTRS != 0 && !c.rest().is_empty() {
        let attrs = c.lenenc_bytes()?;
        let mut a = Cursor::new(attrs, "connection attributes");
        while !a.rest().is_empty() {
            let key = a.lenenc_bytes()?.to_vec();
            let value = a.lenenc_bytes()?.to_vec();
            attributes.push((key, value));
        }
    }
    Ok(HandshakeResponse { capabilities, max_packet, charset, user, auth_response, database, plugin, attributes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_layout() {
        let nonce = [b'a'; 20];
        let p = handshake_v10(7, BASE_CAPABILITIES, &nonce, "caching_sha2_password");
        assert_eq!(p[0], 10);
        let v = SERVER_VERSION.len();
        assert_eq!(&p[1..=v], SERVER_VERSION.as_bytes());
        assert_eq!(p[v + 1], 0);
        assert!(p.ends_with(b"aaaaaaaaaaaa\0caching_sha2_password\0"));
    }

    #[test]
    fn parses_response_with_attrs() {
        let caps = cap::PROTOCOL_41
            | cap::PLUGIN_AUTH
            | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | cap::CONNECT_WITH_DB
            | cap::CONNECT_ATTRS
            | cap::SECURE_CONNECTION;
        let mut p = caps.to_le_bytes().to_vec();
        p.extend_from_slice(&(1u32 << 24).to_le_bytes());
        p.push(45);
        p.extend_from_slice(&[0; 23]);
        p.extend_from_slice(b"bob\0\x02\xaa\xbbdb1\0mysql_native_password\0");
        p.extend_from_slice(b"\x08\x03k_1\x03v_1");
        let r = parse_handshake_response(&p).unwrap();
        assert_eq!(r.user, b"bob");
        assert_eq!(r.auth_response, [0xaa, 0xbb]);
        assert_eq!(r.database.as_deref(), Some(&b"db1"[..]));
        assert_eq!(r.plugin.as_deref(), Some(&b"mysql_native_password"[..]));
        assert_eq!(r.attributes, vec![(b"k_1".to_vec(), b"v_1".to_vec())]);
        assert!(parse_handshake_response(&p[..40]).is_err());
    }
}
