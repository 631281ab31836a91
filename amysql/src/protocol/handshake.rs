//! The initial handshake: the server's `HandshakeV10`, the client's `SSLRequest` and
//! `HandshakeResponse41`.

use super::buf::{put_lenenc_bytes, put_lenenc_int, Reader};
use super::constants::capability as cap;
use super::response::ErrPacket;
use crate::error::{Error, Result};

/// The server's greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeV10 {
    pub protocol_version: u8,
    /// As reported, minus MariaDB's "5.5.5-" replication prefix.
    pub server_version: String,
    pub connection_id: u32,
    /// The 20-byte scramble (both halves joined, without the trailing NUL).
    pub nonce: Vec<u8>,
    pub capabilities: u32,
    pub charset: u8,
    pub status: u16,
    /// MariaDB 10.2+ extended capabilities (0 on MySQL).
    pub mariadb_capabilities: u32,
    pub auth_plugin: String,
}

impl HandshakeV10 {
    /// Decodes the greeting. A server that refuses the connection outright (too many
    /// connections, host blocked) sends an ERR packet instead: that becomes `Error::Server`.
    pub fn decode(payload: &[u8]) -> Result<HandshakeV10> {
        if payload.first() == Some(&0xff) {
            // Pre-handshake errors never carry a SQLSTATE marker.
            return Err(ErrPacket::decode(payload, 0)?.into_error());
        }
        let mut r = Reader::new(payload, "handshake");
        let protocol_version = r.u8()?;
        if protocol_version != 10 {
            return Err(Error::protocol(format!(
                "unsupported handshake protocol version {protocol_version} (only 10 is spoken)"
            )));
        }
        let raw_version = String::from_utf8_lossy(r.null_terminated()?).into_owned();
        let server_version = raw_version.strip_prefix("5.5.5-").map(str::to_owned).unwrap_or(raw_version);
        let connection_id = r.u32()?;
        let mut nonce = r.take(8)?.to_vec();
        r.skip(1)?; // filler
        let cap_low = u32::from(r.u16()?);
        let mut h = HandshakeV10 {
            protocol_version,
            server_version,
            connection_id,
            nonce: Vec::new(),
            capabilities: cap_low,
            charset: 0,
            status: 0,
            mariadb_capabilities: 0,
            auth_plugin: String::new(),
        };
        if r.is_empty() {
            h.nonce = nonce;
            return Ok(h);
        }
        h.charset = r.u8()?;
        h.status = r.u16()?;
        h.capabilities |= u32::from(r.u16()?) << 16;
        let auth_data_len = r.u8()?;
        r.skip(6)?;
        let ext = r.u32()?;
        // MariaDB marks the extended field by clearing CLIENT_LONG_PASSWORD (bit 0).
        if h.capabilities & cap::LONG_PASSWORD == 0 {
            h.mariadb_capabilities = ext;
        }
        if h.capabilities & cap::SECURE_CONNECTION != 0 {
            // The second half is max(13, len - 8) bytes, the last of which is a NUL.
            let n = usize::from(auth_data_len).saturating_sub(8).max(13);
            let part2 = r.take(n.min(r.remaining()))?;
            let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
            nonce.extend_from_slice(part2);
        }
        h.nonce = nonce;
        if h.capabilities & cap::PLUGIN_AUTH != 0 && !r.is_empty() {
            h.auth_plugin = String::from_utf8_lossy(r.eof_string()).into_owned();
        }
        Ok(h)
    }
}

/// Appends the fixed 32-byte prefix shared by `SSLRequest` and `HandshakeResponse41`.
/// MariaDB reads its extended client capabilities from the last 4 of the 23 filler
/// bytes, and only when the client leaves CLIENT_LONG_PASSWORD (CLIENT_MYSQL) unset.
fn put_prefix(out: &mut Vec<u8>, capabilities: u32, mariadb_capabilities: u32, max_packet: u32, charset: u8) {
    out.extend_from_slice(&capabilities.to_le_bytes());
    out.extend_from_slice(&max_packet.to_le_bytes());
    out.push(charset);
    out.extend_from_slice(&[0u8; 19]);
    let ext = if capabilities & cap::LONG_PASSWORD == 0 { mariadb_capabilities } else { 0 };
    out.extend_from_slice(&ext.to_le_bytes());
}

/// The `SSLRequest` payload: the client asks to switch to TLS before sending credentials.
pub fn ssl_request(out: &mut Vec<u8>, capabilities: u32, mariadb_capabilities: u32, max_packet: u32, charset: u8) {
    put_prefix(out, capabilities, mariadb_capabilities, max_packet, charset);
}

/// What goes into a `HandshakeResponse41`.
#[derive(Debug, Clone)]
pub struct HandshakeResponse41<'a> {
    pub capabilities: u32,
    /// MariaDB extended capabilities; sent only to MariaDB (see `put_prefix`).
    pub mariadb_capabilities: u32,
    pub max_packet: u32,
    pub charset: u8,
    pub username: &'a str,
    pub auth_response: &'a [u8],
    pub database: Option<&'a str>,
    pub auth_plugin: &'a str,
    pub attributes: &'a [(&'a str, &'a str)],
}

impl HandshakeResponse41<'_> {
    /// Encodes the payload; capability bits decide which optional fields are present.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let caps = self.capabilities;
        put_prefix(out, caps, self.mariadb_capabilities, self.max_packet, self.charset);
        out.extend_from_slice(self.username.as_bytes());
        out.push(0);
        if caps & cap::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            put_lenenc_bytes(out, self.auth_response);
        } else {
            // Without the lenenc capability the response is limited to 255 bytes.
            let n = self.auth_response.len().min(255);
            out.push(n as u8);
            out.extend_from_slice(&self.auth_response[..n]);
        }
        if caps & cap::CONNECT_WITH_DB != 0 {
            out.extend_from_slice(self.database.unwrap_or("").as_bytes());
            out.push(0);
        }
        if caps & cap::PLUGIN_AUTH != 0 {
            out.extend_from_slice(self.auth_plugin.as_bytes());
            out.push(0);
        }
        if caps & cap::CONNECT_ATTRS != 0 {
            let mut attrs = Vec::new();
            for (k, v) in self.attributes {
                put_lenenc_bytes(&mut attrs, k.as_bytes());
                put_lenenc_bytes(&mut attrs, v.as_bytes());
            }
            put_lenenc_int(out, attrs.len() as u64);
            out.extend_from_slice(&attrs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MariaDB 10.11 greeting captured from the wire (payload only).
    const MARIADB_GREETING: &[u8] = b"\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00\x2a\x00\x00\x00\
ABCDEFGH\x00\xfe\xf7\x2d\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00\
IJKLMNOPQRST\x00mysql_native_password\x00";

    #[test]
    fn decode_mariadb_greeting() {
        let h = HandshakeV10::decode(MARIADB_GREETING).unwrap();
        assert_eq!(h.server_version, "10.11.6-MariaDB-0+deb12u1");
        assert_eq!(h.connection_id, 42);
        assert_eq!(h.nonce, b"ABCDEFGHIJKLMNOPQRST");
        assert_eq!(h.charset, 45);
        assert_eq!(h.status, 2);
        assert_eq!(h.capabilities & cap::LONG_PASSWORD, 0);
        assert_ne!(h.capabilities & cap::PLUGIN_AUTH, 0);
        assert_eq!(h.mariadb_capabilities, 0x1d);
        assert_eq!(h.auth_plugin, "mysql_native_password");
    }

    #[test]
    fn decode_mysql8_greeting() {
        let payload = b"\x0a8.0.36\x00\x09\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x00caching_sha2_password\x00";
        let h = HandshakeV10::decode(payload).unwrap();
        assert_eq!(h.server_version, "8.0.36");
        assert_eq!(h.nonce, (1u8..=20).collect::<Vec<_>>());
        assert_eq!(h.mariadb_capabilities, 0);
        assert_eq!(h.auth_plugin, "caching_sha2_password");
    }

    #[test]
    fn greeting_err_is_server_error() {
        let e = HandshakeV10::decode(b"\xff\x10\x04Too many connections").unwrap_err();
        assert_eq!(e.as_server().map(|s| s.code()), Some(1040));
    }

    #[test]
    fn truncated_greetings_never_panic() {
        for n in 0..MARIADB_GREETING.len() {
            let _ = HandshakeV10::decode(&MARIADB_GREETING[..n]);
        }
        assert!(HandshakeV10::decode(b"\x09abc\x00").is_err());
    }

    #[test]
    fn encode_response() {
        let mut out = Vec::new();
        HandshakeResponse41 {
            capabilities: cap::PROTOCOL_41
                | cap::SECURE_CONNECTION
                | cap::PLUGIN_AUTH
                | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
                | cap::CONNECT_WITH_DB
                | cap::CONNECT_ATTRS,
            mariadb_capabilities: 4,
            max_packet: 0x0100_0000,
            charset: 45,
            username: "root",
            auth_response: &[1, 2, 3],
            database: Some("test"),
            auth_plugin: "mysql_native_password",
            attributes: &[("_client_name", "amysql")],
        }
        .encode(&mut out);
        let mut expected = vec![0x08, 0x82, 0x38, 0x00, 0, 0, 0, 1, 45];
        expected.extend_from_slice(&[0; 19]);
        expected.extend_from_slice(&[4, 0, 0, 0]);
        expected.extend_from_slice(b"root\x00\x03\x01\x02\x03test\x00mysql_native_password\x00");
        expected.extend_from_slice(b"\x14\x0c_client_name\x06amysql");
        assert_eq!(out, expected);
    }

    #[test]
    fn mariadb_capabilities_only_without_client_mysql() {
        let mut out = Vec::new();
        ssl_request(&mut out, cap::PROTOCOL_41 | cap::SSL, 4, 0x0100_0000, 45);
        assert_eq!(&out[28..], &[4, 0, 0, 0]);
        out.clear();
        // A MySQL server keeps CLIENT_LONG_PASSWORD: the filler stays zero.
        ssl_request(&mut out, cap::PROTOCOL_41 | cap::LONG_PASSWORD, 4, 0x0100_0000, 45);
        assert_eq!(out.len(), 32);
        assert_eq!(&out[9..], &[0; 23]);
    }
}
