//! Generic response packets: OK, ERR, EOF, and the LOCAL INFILE request.

use super::buf::Reader;
use super::constants::{capability as cap, status};
use crate::error::{Error, Result, ServerError};

/// An OK packet (header 0x00, or 0xFE when it ends a result set under DEPRECATE_EOF).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OkPacket {
    pub affected_rows: u64,
    pub last_insert_id: u64,
    pub status: u16,
    pub warnings: u16,
    pub info: String,
}

impl OkPacket {
    pub fn decode(payload: &[u8], capabilities: u32) -> Result<OkPacket> {
        let mut r = Reader::new(payload, "OK packet");
        let header = r.u8()?;
        if header != 0x00 && header != 0xfe {
            return Err(Error::protocol(format!("expected OK packet, got header 0x{header:02x}")));
        }
        let affected_rows = r.lenenc_int()?;
        let last_insert_id = r.lenenc_int()?;
        let mut ok = OkPacket { affected_rows, last_insert_id, ..Default::default() };
        if capabilities & cap::PROTOCOL_41 != 0 {
            ok.status = r.u16()?;
            ok.warnings = r.u16()?;
        } else if capabilities & cap::TRANSACTIONS != 0 {
            ok.status = r.u16()?;
        }
        if r.is_empty() {
            return Ok(ok);
        }
        if capabilities & cap::SESSION_TRACK != 0 {
            ok.info = String::from_utf8_lossy(r.lenenc_bytes()?).into_owned();
            // Session-state changes follow when SESSION_STATE_CHANGED is set; amysql reads
            // state it needs (autocommit, NO_BACKSLASH_ESCAPES) from the status flags instead.
            if ok.status & status::SESSION_STATE_CHANGED != 0 {
                let _ = r.lenenc_bytes();
            }
        } else {
            ok.info = String::from_utf8_lossy(r.eof_string()).into_owned();
        }
        Ok(ok)
    }
}

/// An ERR packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrPacket {
    pub code: u16,
    pub sqlstate: Option<String>,
    pub message: String,
}

impl ErrPacket {
    pub fn decode(payload: &[u8], capabilities: u32) -> Result<ErrPacket> {
        let mut r = Reader::new(payload, "ERR packet");
        let header = r.u8()?;
        if header != 0xff {
            return Err(Error::protocol(format!("expected ERR packet, got header 0x{header:02x}")));
        }
        let code = r.u16()?;
        let mut sqlstate = None;
        // The '#' marker is optional even with PROTOCOL_41: errors sent before the
        // handshake completes (and some MariaDB progress errors) omit it.
        if (capabilities & cap::PROTOCOL_41 != 0 || capabilities == 0) && r.peek_u8() == Some(b'#') {
            r.skip(1)?;
            sqlstate = Some(String::from_utf8_lossy(r.take(5)?).into_owned());
        }
        let message = String::from_utf8_lossy(r.eof_string()).into_owned();
        Ok(ErrPacket { code, sqlstate, message })
    }

    pub fn into_error(self) -> Error {
        Error::Server(ServerError::new(self.code, self.sqlstate, self.message))
    }
}

/// A classic EOF packet (only sent when CLIENT_DEPRECATE_EOF is off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EofPacket {
    pub warnings: u16,
    pub status: u16,
}

impl EofPacket {
    pub fn decode(payload: &[u8]) -> Result<EofPacket> {
        let mut r = Reader::new(payload, "EOF packet");
        if r.u8()? != 0xfe {
            return Err(Error::protocol("expected EOF packet"));
        }
        if r.is_empty() {
            return Ok(EofPacket::default()); // pre-4.1 servers
        }
        Ok(EofPacket { warnings: r.u16()?, status: r.u16()? })
    }
}

/// True when a packet that arrives where a row could is really the end-of-rows marker.
/// Rows may begin with 0xFE too (a length-encoded string of 16 MiB or more), but such a
/// packet is at least that long; a terminator is short.
pub fn is_result_end(payload: &[u8], deprecate_eof: bool) -> bool {
    payload.first() == Some(&0xfe) && if deprecate_eof { payload.len() < 0xff_ffff } else { payload.len() < 9 }
}

/// What the first packet after COM_QUERY says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryResponse {
    Ok(OkPacket),
    /// A result set with this many columns follows. `metadata_follows` is false only
    /// when MARIADB_CLIENT_CACHE_METADATA is on and the server skipped the column
    /// definitions of a prepared statement whose metadata the client already has.
    ResultSet {
        column_count: u64,
        metadata_follows: bool,
    },
    /// The server wants the client to send the contents of this file (LOAD DATA LOCAL).
    LocalInfile {
        filename: Vec<u8>,
    },
}

impl QueryResponse {
    /// Decodes the first response packet; an ERR packet becomes `Err(Error::Server)`.
    /// With `cache_metadata` (MariaDB's MARIADB_CLIENT_CACHE_METADATA negotiated) a
    /// result set header carries one more byte: whether column definitions follow.
    pub fn decode(payload: &[u8], capabilities: u32, cache_metadata: bool) -> Result<QueryResponse> {
        match payload.first() {
            Some(0x00) => Ok(QueryResponse::Ok(OkPacket::decode(payload, capabilities)?)),
            Some(0xff) => Err(ErrPacket::decode(payload, capabilities)?.into_error()),
            Some(0xfb) => Ok(QueryResponse::LocalInfile { filename: payload[1..].to_vec() }),
            Some(_) => {
                let mut r = Reader::new(payload, "result set header");
                let column_count = r.lenenc_int()?;
                let metadata_follows = if cache_metadata { r.u8()? != 0 } else { true };
                if column_count == 0 || !r.is_empty() {
                    return Err(Error::protocol("malformed result set header"));
                }
                Ok(QueryResponse::ResultSet { column_count, metadata_follows })
            }
            None => Err(Error::protocol("empty response packet")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: u32 = cap::PROTOCOL_41 | cap::TRANSACTIONS | cap::SESSION_TRACK | cap::DEPRECATE_EOF;

    #[test]
    fn ok_after_insert() {
        // INSERT ... affected 1, insert id 5, autocommit, 0 warnings
        let ok = OkPacket::decode(b"\x00\x01\x05\x02\x00\x00\x00", CAPS).unwrap();
        assert_eq!((ok.affected_rows, ok.last_insert_id, ok.status, ok.warnings), (1, 5, 2, 0));
    }

    #[test]
    fn ok_with_info_and_session_state() {
        let p = b"\x00\x03\x00\x22\x40\x01\x00\x26Records: 3  Duplicates: 0  Warnings: 1\x03\x00\x01\x00";
        let ok = OkPacket::decode(p, CAPS).unwrap();
        assert_eq!(ok.affected_rows, 3);
        assert_eq!(ok.status, 0x4022);
        assert_eq!(ok.warnings, 1);
        assert_eq!(ok.info, "Records: 3  Duplicates: 0  Warnings: 1");
    }

    #[test]
    fn ok_without_session_track_reads_info_to_end() {
        let ok = OkPacket::decode(b"\x00\x00\x00\x02\x00\x00\x00Rows matched: 1", cap::PROTOCOL_41).unwrap();
        assert_eq!(ok.info, "Rows matched: 1");
    }

    #[test]
    fn eof_as_ok_terminator() {
        let p = b"\xfe\x00\x00\x0a\x00\x01\x00";
        assert!(is_result_end(p, true));
        let ok = OkPacket::decode(p, CAPS).unwrap();
        assert_eq!(ok.status, status::MORE_RESULTS_EXISTS | status::AUTOCOMMIT);
        assert_eq!(ok.warnings, 1);
    }

    #[test]
    fn err_with_sqlstate() {
        let p = b"\xff\x15\x04#28000Access denied for user 'x'@'localhost' (using password: YES)";
        let e = ErrPacket::decode(p, CAPS).unwrap();
        assert_eq!(e.code, 1045);
        assert_eq!(e.sqlstate.as_deref(), Some("28000"));
        assert!(e.message.starts_with("Access denied"));
    }

    #[test]
    fn err_without_marker_out_of_order() {
        // MariaDB's idle-timeout error arrives with sequence id 0 and may lack the marker.
        let e = ErrPacket::decode(b"\xff\x87\x07Connection was killed", CAPS).unwrap();
        assert_eq!((e.code, e.sqlstate, e.message.as_str()), (1927, None, "Connection was killed"));
    }

    #[test]
    fn classic_eof() {
        let e = EofPacket::decode(b"\xfe\x00\x00\x02\x00").unwrap();
        assert_eq!(e, EofPacket { warnings: 0, status: 2 });
        assert!(is_result_end(b"\xfe\x00\x00\x02\x00", false));
        assert!(!is_result_end(b"\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09", false));
    }

    #[test]
    fn query_responses() {
        assert_eq!(
            QueryResponse::decode(b"\x02", CAPS, false).unwrap(),
            QueryResponse::ResultSet { column_count: 2, metadata_follows: true }
        );
        // MARIADB_CLIENT_CACHE_METADATA: the flag byte after the count.
        assert_eq!(
            QueryResponse::decode(b"\x02\x00", CAPS, true).unwrap(),
            QueryResponse::ResultSet { column_count: 2, metadata_follows: false }
        );
        assert_eq!(
            QueryResponse::decode(b"\x02\x01", CAPS, true).unwrap(),
            QueryResponse::ResultSet { column_count: 2, metadata_follows: true }
        );
        assert!(QueryResponse::decode(b"\x02", CAPS, true).is_err());
        assert_eq!(
            QueryResponse::decode(b"\xfb/tmp/x.csv", CAPS, false).unwrap(),
            QueryResponse::LocalInfile { filename: b"/tmp/x.csv".to_vec() }
        );
        let e = QueryResponse::decode(b"\xff\x28\x04#42000You have an error", CAPS, false).unwrap_err();
        assert_eq!(e.code(), Some(1064));
        assert!(QueryResponse::decode(b"", CAPS, false).is_err());
        assert!(QueryResponse::decode(b"\x02\x00", CAPS, false).is_err());
    }

    #[test]
    fn truncations_never_panic() {
        let p = b"\x00\x03\x00\x22\x40\x01\x00\x26Records: 3  Duplicates: 0  Warnings: 1\x03\x00\x01\x00";
        for n in 0..p.len() {
            let _ = OkPacket::decode(&p[..n], CAPS);
            let _ = ErrPacket::decode(&p[..n], CAPS);
            let _ = EofPacket::decode(&p[..n]);
            let _ = QueryResponse::decode(&p[..n], CAPS, true);
        }
    }
}
