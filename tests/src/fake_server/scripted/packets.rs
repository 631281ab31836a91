//! Builders for valid server packets with correct headers and sequence ids, for scripts.
//!
//! Everything returns raw wire bytes (4-byte header + payload per packet), so a test can
//! corrupt any byte of the result. The response to a command starts at sequence id 1
//! (the command itself is 0); the builders take the first id and number on from it.
//!
//! Written independently of amysql's protocol module, like the rest of the fake server:
//! a builder that shared the client's encoder would agree with the client's bugs.

use std::ops::Range;

use crate::fake_server::wire::{put_lenenc_bytes, put_lenenc_int, STATUS_AUTOCOMMIT};

/// Column type codes (`MYSQL_TYPE_*`) used by the builders.
pub mod ty {
    pub const DECIMAL: u8 = 0;
    pub const TINY: u8 = 1;
    pub const SHORT: u8 = 2;
    pub const LONG: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const DOUBLE: u8 = 5;
    pub const NULL: u8 = 6;
    pub const TIMESTAMP: u8 = 7;
    pub const LONGLONG: u8 = 8;
    pub const INT24: u8 = 9;
    pub const DATE: u8 = 10;
    pub const TIME: u8 = 11;
    pub const DATETIME: u8 = 12;
    pub const YEAR: u8 = 13;
    pub const VARCHAR: u8 = 15;
    pub const NEWDECIMAL: u8 = 246;
    pub const BLOB: u8 = 252;
    pub const VAR_STRING: u8 = 253;
    pub const STRING: u8 = 254;
}

/// Server status bits the builders set.
pub mod status {
    pub const AUTOCOMMIT: u16 = 2;
    pub const MORE_RESULTS_EXISTS: u16 = 8;
}

/// The binary collation: numbers and temporal values are described with it.
const BINARY_COLLATION: u16 = 63;
/// utf8mb4_general_ci, MariaDB's default for utf8mb4 strings.
const UTF8MB4_COLLATION: u16 = 45;
const FLAG_BINARY: u16 = 0x80;
const FLAG_UNSIGNED: u16 = 0x20;

/// Appends packets to a byte stream, numbering them. Use it for responses the free
/// functions below do not cover (multi-results, mixed shapes, cached metadata).
#[derive(Debug, Clone)]
pub struct Packets {
    seq: u8,
    out: Vec<u8>,
    deprecate_eof: bool,
    cache_metadata: bool,
}

impl Packets {
    /// A response starting at sequence id `seq` (1 for the answer to a command), for a
    /// client that negotiated CLIENT_DEPRECATE_EOF.
    pub fn new(seq: u8) -> Packets {
        Packets { seq, out: Vec::new(), deprecate_eof: true, cache_metadata: false }
    }

    /// Whether the client negotiated CLIENT_DEPRECATE_EOF (default true): without it,
    /// column lists are closed by EOF packets and result sets end with EOF, not OK.
    pub fn deprecate_eof(mut self, on: bool) -> Packets {
        self.deprecate_eof = on;
        self
    }

    /// Whether MARIADB_CLIENT_CACHE_METADATA was negotiated (default false): every result
    /// set header then carries a "metadata follows" byte.
    pub fn cache_metadata(mut self, on: bool) -> Packets {
        self.cache_metadata = on;
        self
    }

    /// The sequence id the next packet gets.
    pub fn next_seq(&self) -> u8 {
        self.seq
    }

    /// Appends one packet with `payload` (must be shorter than 16 MiB).
    pub fn packet(mut self, payload: &[u8]) -> Packets {
        let len = u32::try_from(payload.len()).expect("payload length fits u32");
        assert!(len < 0xff_ffff, "the builders write single-chunk packets only");
        self.out.extend_from_slice(&len.to_le_bytes()[..3]);
        self.out.push(self.seq);
        self.out.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self
    }

    /// Appends raw bytes as they are (no header) and sets the id of the next packet.
    pub fn raw(mut self, bytes: &[u8], next_seq: u8) -> Packets {
        self.out.extend_from_slice(bytes);
        self.seq = next_seq;
        self
    }

    pub fn ok(self, affected: u64, last_insert_id: u64, status: u16) -> Packets {
        let p = ok_payload(0x00, affected, last_insert_id, status);
        self.packet(&p)
    }

    pub fn err(self, code: u16, sqlstate: &str, msg: &str) -> Packets {
        let p = err_payload(code, sqlstate, msg);
        self.packet(&p)
    }

    /// A classic EOF packet (0xFE, warnings, status).
    pub fn eof(self, status: u16) -> Packets {
        let mut p = vec![0xfe, 0, 0];
        p.extend_from_slice(&status.to_le_bytes());
        self.packet(&p)
    }

    /// The packet that ends a result set: OK with header 0xFE under DEPRECATE_EOF, else EOF.
    pub fn end(self, status: u16) -> Packets {
        if self.deprecate_eof {
            let p = ok_payload(0xfe, 0, 0, status);
            self.packet(&p)
        } else {
            self.eof(status)
        }
    }

    /// A result set header: the column count (and "metadata follows" under CACHE_METADATA).
    pub fn header(self, columns: usize, metadata_follows: bool) -> Packets {
        let mut p = Vec::new();
        put_lenenc_int(&mut p, columns as u64);
        if self.cache_metadata {
            p.push(u8::from(metadata_follows));
        }
        self.packet(&p)
    }

    /// Column definitions, then the EOF that closes them unless DEPRECATE_EOF.
    pub fn columns(mut self, columns: &[(&str, u8)]) -> Packets {
        for &(name, t) in columns {
            self = self.packet(&column_def(name, t));
        }
        if self.deprecate_eof {
            self
        } else {
            self.eof(STATUS_AUTOCOMMIT)
        }
    }

    /// A whole text result set ending with `status` (add MORE_RESULTS_EXISTS for a
    /// multi-result whose next result follows).
    pub fn text_result(mut self, columns: &[(&str, u8)], rows: &[Vec<Option<&[u8]>>], status: u16) -> Packets {
        self = self.header(columns.len(), true).columns(columns);
        for row in rows {
            self = self.packet(&text_row(row));
        }
        self.end(status)
    }

    /// A whole binary (COM_STMT_EXECUTE) result set; cells are given in their binary form
    /// without length prefix (see [`binary_row`]).
    pub fn binary_result(mut self, columns: &[(&str, u8)], rows: &[Vec<Option<&[u8]>>], status: u16) -> Packets {
        self = self.header(columns.len(), true).columns(columns);
        let types: Vec<u8> = columns.iter().map(|c| c.1).collect();
        for row in rows {
            self = self.packet(&binary_row(&types, row));
        }
        self.end(status)
    }

    /// A binary result whose column definitions are skipped (CACHE_METADATA: the client
    /// has them from an earlier execution or the prepare). Forces the metadata byte.
    pub fn binary_result_cached(mut self, types: &[u8], rows: &[Vec<Option<&[u8]>>], status: u16) -> Packets {
        self.cache_metadata = true;
        self = self.header(types.len(), false);
        if !self.deprecate_eof {
            self = self.eof(STATUS_AUTOCOMMIT);
        }
        for row in rows {
            self = self.packet(&binary_row(types, row));
        }
        self.end(status)
    }

    /// A COM_STMT_PREPARE response: prepare-OK, `params` parameter definitions, the
    /// column definitions, each list closed by EOF unless DEPRECATE_EOF.
    pub fn prepare_ok(mut self, stmt_id: u32, columns: &[(&str, u8)], params: u16) -> Packets {
        let mut p = vec![0x00];
        p.extend_from_slice(&stmt_id.to_le_bytes());
        p.extend_from_slice(&(columns.len() as u16).to_le_bytes());
        p.extend_from_slice(&params.to_le_bytes());
        p.push(0); // reserved
        p.extend_from_slice(&0u16.to_le_bytes()); // warnings
        self = self.packet(&p);
        if params > 0 {
            for _ in 0..params {
                self = self.packet(&column_def("?", ty::VAR_STRING));
            }
            if !self.deprecate_eof {
                self = self.eof(STATUS_AUTOCOMMIT);
            }
        }
        if !columns.is_empty() {
            self = self.columns(columns);
        }
        self
    }

    /// A LOCAL INFILE request (0xFB + file name).
    pub fn local_infile(self, filename: &str) -> Packets {
        let mut p = vec![0xfb];
        p.extend_from_slice(filename.as_bytes());
        self.packet(&p)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

fn ok_payload(header: u8, affected: u64, last_insert_id: u64, status: u16) -> Vec<u8> {
    let mut p = vec![header];
    put_lenenc_int(&mut p, affected);
    put_lenenc_int(&mut p, last_insert_id);
    p.extend_from_slice(&status.to_le_bytes());
    p.extend_from_slice(&0u16.to_le_bytes()); // warnings
    p
}

fn err_payload(code: u16, sqlstate: &str, msg: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(sqlstate.as_bytes());
    p.extend_from_slice(msg.as_bytes());
    p
}

fn is_textual(t: u8) -> bool {
    matches!(t, ty::VARCHAR | ty::BLOB | ty::VAR_STRING | ty::STRING)
}

/// A ColumnDefinition41 for column `name` of type `t`: strings in utf8mb4, everything
/// else with the binary collation, as MariaDB describes expression columns.
pub fn column_def(name: &str, t: u8) -> Vec<u8> {
    let mut p = Vec::new();
    for s in ["def", "", "", ""] {
        put_lenenc_bytes(&mut p, s.as_bytes()); // catalog, schema, table, org_table
    }
    put_lenenc_bytes(&mut p, name.as_bytes());
    put_lenenc_bytes(&mut p, name.as_bytes()); // org_name
    p.push(0x0c); // length of the fixed fields
    let (collation, flags) = if is_textual(t) { (UTF8MB4_COLLATION, 0) } else { (BINARY_COLLATION, FLAG_BINARY) };
    p.extend_from_slice(&collation.to_le_bytes());
    p.extend_from_slice(&255u32.to_le_bytes()); // display width
    p.push(t);
    p.extend_from_slice(&flags.to_le_bytes());
    p.push(0); // decimals
    p.extend_from_slice(&[0, 0]);
    p
}

/// Like [`column_def`], for an UNSIGNED integer column.
pub fn column_def_unsigned(name: &str, t: u8) -> Vec<u8> {
    let mut p = column_def(name, t);
    let flags_at = p.len() - 5;
    let flags = u16::from_le_bytes([p[flags_at], p[flags_at + 1]]) | FLAG_UNSIGNED;
    p[flags_at..flags_at + 2].copy_from_slice(&flags.to_le_bytes());
    p
}

/// A text-protocol row payload: each cell length-encoded, 0xFB for NULL.
pub fn text_row(cells: &[Option<&[u8]>]) -> Vec<u8> {
    let mut p = Vec::new();
    for c in cells {
        match c {
            Some(b) => put_lenenc_bytes(&mut p, b),
            None => p.push(0xfb),
        }
    }
    p
}

/// A binary-protocol row payload: 0x00, the NULL bitmap (offset 2), then each value.
/// Cells are the value's binary form: the little-endian bytes of fixed-width numbers,
/// the date/time bytes after the length byte for temporal types (the length byte is
/// added here), the raw bytes of everything else (the length prefix is added here).
pub fn binary_row(types: &[u8], cells: &[Option<&[u8]>]) -> Vec<u8> {
    assert_eq!(types.len(), cells.len(), "one type per cell");
    let mut bitmap = vec![0u8; (cells.len() + 7 + 2) / 8];
    let mut values = Vec::new();
    for (i, (&t, c)) in types.iter().zip(cells).enumerate() {
        let Some(b) = c else {
            bitmap[(i + 2) / 8] |= 1 << ((i + 2) % 8);
            continue;
        };
        match t {
            ty::TINY | ty::SHORT | ty::YEAR | ty::INT24 | ty::LONG | ty::FLOAT | ty::LONGLONG | ty::DOUBLE => {
                values.extend_from_slice(b)
            }
            ty::DATE | ty::DATETIME | ty::TIMESTAMP | ty::TIME => {
                values.push(u8::try_from(b.len()).expect("temporal values are short"));
                values.extend_from_slice(b);
            }
            _ => put_lenenc_bytes(&mut values, b),
        }
    }
    let mut p = vec![0x00];
    p.extend_from_slice(&bitmap);
    p.extend_from_slice(&values);
    p
}

/// OK packet at `seq`: `affected` rows, no insert id, `status`.
pub fn ok(seq: u8, affected: u64, status: u16) -> Vec<u8> {
    Packets::new(seq).ok(affected, 0, status).into_bytes()
}

/// ERR packet at `seq`, with a `#` + 5-character SQLSTATE.
pub fn err(seq: u8, code: u16, sqlstate: &str, msg: &str) -> Vec<u8> {
    Packets::new(seq).err(code, sqlstate, msg).into_bytes()
}

/// The whole answer (from seq 1) to a COM_QUERY returning a text result set.
pub fn text_result(columns: &[(&str, u8)], rows: &[Vec<Option<&[u8]>>], deprecate_eof: bool) -> Vec<u8> {
    Packets::new(1).deprecate_eof(deprecate_eof).text_result(columns, rows, status::AUTOCOMMIT).into_bytes()
}

/// The whole answer (from seq 1) to a COM_STMT_EXECUTE returning a binary result set.
pub fn binary_result(columns: &[(&str, u8)], rows: &[Vec<Option<&[u8]>>], deprecate_eof: bool) -> Vec<u8> {
    Packets::new(1).deprecate_eof(deprecate_eof).binary_result(columns, rows, status::AUTOCOMMIT).into_bytes()
}

/// The answer (from seq 1) to a COM_STMT_EXECUTE whose column definitions the server
/// skips (MARIADB_CLIENT_CACHE_METADATA negotiated, metadata unchanged).
pub fn binary_result_cached(types: &[u8], rows: &[Vec<Option<&[u8]>>], deprecate_eof: bool) -> Vec<u8> {
    Packets::new(1).deprecate_eof(deprecate_eof).binary_result_cached(types, rows, status::AUTOCOMMIT).into_bytes()
}

/// The whole answer (from seq 1) to a COM_STMT_PREPARE.
pub fn prepare_ok(stmt_id: u32, columns: &[(&str, u8)], params: u16, deprecate_eof: bool) -> Vec<u8> {
    Packets::new(1).deprecate_eof(deprecate_eof).prepare_ok(stmt_id, columns, params).into_bytes()
}

/// Where each physical packet (header included) lies in `raw`; a truncated tail is the
/// last range, cut at the end of `raw`. For scripts built here, that is every packet.
pub fn packet_ranges(raw: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let end = if raw.len() - pos >= 4 {
            let len = usize::from(raw[pos]) | usize::from(raw[pos + 1]) << 8 | usize::from(raw[pos + 2]) << 16;
            (pos + 4 + len).min(raw.len())
        } else {
            raw.len()
        };
        out.push(pos..end);
        pos = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_and_err_bytes() {
        assert_eq!(ok(1, 3, 2), b"\x07\x00\x00\x01\x00\x03\x00\x02\x00\x00\x00");
        assert_eq!(err(1, 1064, "42000", "bad"), b"\x0c\x00\x00\x01\xff\x28\x04#42000bad");
    }

    #[test]
    fn text_result_bytes() {
        let r = text_result(&[("a", ty::LONGLONG)], &[vec![Some(b"7")], vec![None]], true);
        let ranges = packet_ranges(&r);
        let seqs: Vec<u8> = ranges.iter().map(|x| r[x.start + 3]).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert_eq!(&r[ranges[0].clone()], b"\x01\x00\x00\x01\x01");
        assert_eq!(&r[ranges[2].clone()], b"\x02\x00\x00\x03\x017");
        assert_eq!(&r[ranges[3].clone()], b"\x01\x00\x00\x04\xfb");
        assert_eq!(&r[ranges[4].clone()], b"\x07\x00\x00\x05\xfe\x00\x00\x02\x00\x00\x00");
        // Classic EOF after the definitions and at the end.
        let r = text_result(&[("a", ty::LONGLONG)], &[], false);
        let ranges = packet_ranges(&r);
        assert_eq!(ranges.len(), 4);
        assert_eq!(&r[ranges[3].clone()], b"\x05\x00\x00\x04\xfe\x00\x00\x02\x00");
    }

    #[test]
    fn binary_row_bytes() {
        let row = binary_row(
            &[ty::LONGLONG, ty::VAR_STRING, ty::DATE],
            &[Some(&7i64.to_le_bytes()), None, Some(b"\xe8\x07\x02\x1d")],
        );
        let mut want = vec![0x00, 0b0000_1000];
        want.extend_from_slice(&7i64.to_le_bytes());
        want.extend_from_slice(b"\x04\xe8\x07\x02\x1d");
        assert_eq!(row, want);
    }

    #[test]
    fn prepare_ok_bytes() {
        let r = prepare_ok(5, &[("x", ty::LONGLONG)], 1, true);
        let ranges = packet_ranges(&r);
        assert_eq!(ranges.len(), 3);
        assert_eq!(&r[ranges[0].clone()], b"\x0c\x00\x00\x01\x00\x05\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00");
        assert_eq!(prepare_ok(5, &[("x", ty::LONGLONG)], 1, false).len(), r.len() + 2 * 9);
    }

    #[test]
    fn cached_result_has_metadata_byte() {
        let r = binary_result_cached(&[ty::LONGLONG], &[vec![Some(&1i64.to_le_bytes())]], true);
        assert_eq!(&r[..6], b"\x02\x00\x00\x01\x01\x00");
    }

    #[test]
    fn ranges_cover_truncated_tail() {
        assert_eq!(packet_ranges(b"\x01\x00\x00\x01\x01\x05\x00"), vec![0..5, 5..7]);
    }
}
