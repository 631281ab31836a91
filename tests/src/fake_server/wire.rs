//! Packet framing and the handful of packet layouts the fake server speaks.
//!
//! Written independently of amysql's own protocol module on purpose: a fake server that
//! shared the client's decoder would agree with the client's bugs.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Capability flags the fake server knows about (`CLIENT_*`).
pub mod cap {
    pub const LONG_PASSWORD: u32 = 1;
    pub const FOUND_ROWS: u32 = 1 << 1;
    pub const LONG_FLAG: u32 = 1 << 2;
    pub const CONNECT_WITH_DB: u32 = 1 << 3;
    pub const PROTOCOL_41: u32 = 1 << 9;
    pub const SSL: u32 = 1 << 11;
    pub const TRANSACTIONS: u32 = 1 << 13;
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    pub const MULTI_STATEMENTS: u32 = 1 << 16;
    pub const MULTI_RESULTS: u32 = 1 << 17;
    pub const PS_MULTI_RESULTS: u32 = 1 << 18;
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    pub const CONNECT_ATTRS: u32 = 1 << 20;
    pub const PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
    pub const SESSION_TRACK: u32 = 1 << 23;
    pub const DEPRECATE_EOF: u32 = 1 << 24;
}

/// SERVER_STATUS_AUTOCOMMIT: the only status bit a fresh session has.
pub const STATUS_AUTOCOMMIT: u16 = 2;

const MAX_PAYLOAD: usize = 0xff_ffff;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One side of a MySQL packet stream: 3-byte length, 1-byte sequence id, payload.
///
/// The sequence id is checked on every read, so a client that numbers its packets wrong
/// fails loudly here instead of being silently accepted. No read-ahead buffering: the TLS
/// upgrade takes the raw stream back with [`Wire::into_parts`] and must not lose bytes.
pub struct Wire<S> {
    stream: S,
    seq: u8,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub fn new(stream: S) -> Self {
        Wire { stream, seq: 0 }
    }

    /// Continues a conversation over a new (TLS) stream at sequence id `seq`.
    pub fn with_seq(stream: S, seq: u8) -> Self {
        Wire { stream, seq }
    }

    pub fn into_parts(self) -> (S, u8) {
        (self.stream, self.seq)
    }

    /// Starts a new command: both sides number from 0 again.
    pub fn reset_seq(&mut self) {
        self.seq = 0;
    }

    /// Reads one logical packet (joining 16 MiB continuation packets). `Ok(None)` means
    /// the peer closed the connection cleanly between packets.
    pub async fn read(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            match self.stream.read_exact(&mut header).await {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && payload.is_empty() => return Ok(None),
                r => r?,
            };
            let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            if header[3] != self.seq {
                return Err(invalid(format!("bad sequence id: expected {}, got {}", self.seq, header[3])));
            }
            self.seq = self.seq.wrapping_add(1);
            let start = payload.len();
            payload.resize(start + len, 0);
            self.stream.read_exact(&mut payload[start..]).await?;
            if len < MAX_PAYLOAD {
                return Ok(Some(payload));
            }
        }
    }

    /// Reads a packet where the protocol requires one; EOF is an error.
    pub async fn read_required(&mut self) -> io::Result<Vec<u8>> {
        self.read().await?.ok_or_else(|| invalid("peer closed the connection mid-exchange".into()))
    }

    /// Writes one logical packet, splitting at 16 MiB, and flushes. A payload that fills
    /// its last chunk exactly is followed by an empty packet, so the reader knows it ended.
    pub async fn write(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(payload.len() + 8);
        let mut rest = payload;
        loop {
            let (chunk, tail) = rest.split_at(rest.len().min(MAX_PAYLOAD));
            let len = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            buf.extend_from_slice(&len.to_le_bytes()[..3]);
            buf.push(self.seq);
            buf.extend_from_slice(chunk);
            self.seq = self.seq.wrapping_add(1);
            rest = tail;
            if chunk.len() < MAX_PAYLOAD {
                break;
            }
        }
        self.stream.write_all(&buf).await?;
        self.stream.flush().await
    }
}

/// A bounds-checked reader over a received payload; every failure is `InvalidData`.
pub struct Cursor<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Cursor { buf, what }
    }

    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    pub fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(invalid(format!("truncated {}: wanted {n} bytes", self.what)));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> io::Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> io::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn lenenc_int(&mut self) -> io::Result<u64> {
        match self.u8()? {
            n @ 0..=0xfa => Ok(u64::from(n)),
            0xfc => self.u16().map(u64::from),
            0xfd => {
                let b = self.take(3)?;
                Ok(u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0])))
            }
            0xfe => {
                let b = self.take(8)?;
                Ok(u64::from_le_bytes(b.try_into().unwrap_or([0xff; 8])))
            }
            b => Err(invalid(format!("bad length prefix 0x{b:02x} in {}", self.what))),
        }
    }

    pub fn lenenc_bytes(&mut self) -> io::Result<&'a [u8]> {
        let len = self.lenenc_int()?;
        self.take(usize::try_from(len).unwrap_or(usize::MAX))
    }

    pub fn null_terminated(&mut self) -> io::Result<&'a [u8]> {
        let i = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| invalid(format!("missing NUL terminator in {}", self.what)))?;
        let s = &self.buf[..i];
        self.buf = &self.buf[i + 1..];
        Ok(s)
    }
}

pub fn put_lenenc_int(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfa => out.push(n as u8),
        0xfb..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

pub fn put_lenenc_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_lenenc_int(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// OK packet with nothing to report. `header` is 0x00, or 0xFE when it stands in for the
/// EOF that ends a result set under CLIENT_DEPRECATE_EOF. With no info string and no
/// session-state change MySQL writes nothing after the warnings, even with SESSION_TRACK.
pub fn ok_packet(header: u8) -> Vec<u8> {
    let mut p = vec![header, 0, 0];
    p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    p.extend_from_slice(&0u16.to_le_bytes());
    p
}

/// Pre-4.1-style EOF packet (0xFE, warnings, status), for clients without DEPRECATE_EOF.
pub fn eof_packet() -> Vec<u8> {
    let mut p = vec![0xfe, 0, 0];
    p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    p
}

pub fn err_packet(code: u16, sqlstate: &str, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(sqlstate.as_bytes());
    p.extend_from_slice(message.as_bytes());
    p
}

/// AuthMoreData: 0x01 then plugin-specific bytes (fast-auth status, a PEM key).
pub fn auth_more_data(data: &[u8]) -> Vec<u8> {
    let mut p = vec![0x01];
    p.extend_from_slice(data);
    p
}

/// AuthSwitchRequest: 0xFE, plugin name, NUL, plugin data (nonce + NUL, as MySQL sends).
pub fn auth_switch_request(plugin: &str, nonce: &[u8]) -> Vec<u8> {
    let mut p = vec![0xfe];
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p.extend_from_slice(nonce);
    p.push(0);
    p
}

/// A text-protocol column definition (Protocol::ColumnDefinition41) for an integer column
/// named `name`, as MySQL describes `SELECT 1`: BIGINT, binary charset, NOT NULL.
pub fn column_def_longlong(name: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for s in ["def", "", "", ""] {
        put_lenenc_bytes(&mut p, s.as_bytes()); // catalog, schema, table, org_table
    }
    put_lenenc_bytes(&mut p, name.as_bytes());
    put_lenenc_bytes(&mut p, b""); // org_name
    p.push(0x0c); // length of the fixed-size fields that follow
    p.extend_from_slice(&63u16.to_le_bytes()); // binary collation
    p.extend_from_slice(&1u32.to_le_bytes()); // display width
    p.push(8); // MYSQL_TYPE_LONGLONG
    p.extend_from_slice(&0x81u16.to_le_bytes()); // NOT_NULL | BINARY
    p.push(0); // decimals
    p.extend_from_slice(&[0, 0]);
    p
}
