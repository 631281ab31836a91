//! Prepared statements, as far as MariaDB's bulk `executemany` needs them:
//! COM_STMT_PREPARE and its response, COM_STMT_BULK_EXECUTE, COM_STMT_CLOSE.
//!
//! amysql formats `%s` parameters on the client everywhere else; only batched INSERTs go
//! through a prepared statement, because there the server's cost of parsing one literal
//! per value dominates (see BENCHMARKS.md, `insert`).

use super::buf::Reader;
use super::command::{begin_command, finish_command, simple_command};
use crate::error::{Error, Result};
use crate::value::BinaryType;

pub mod command {
    pub const STMT_PREPARE: u8 = 0x16;
    pub const STMT_EXECUTE: u8 = 0x17;
    pub const STMT_CLOSE: u8 = 0x19;
    /// MariaDB 10.2+.
    pub const STMT_BULK_EXECUTE: u8 = 0xfa;
}

/// MariaDB extended capability (the handshake's fourth capability word):
/// COM_STMT_BULK_EXECUTE is accepted.
pub const MARIADB_CLIENT_STMT_BULK_OPERATIONS: u32 = 1 << 2;

/// MariaDB extended capability: the server may skip a prepared statement's column
/// definitions on execute when they are unchanged (the result set header says so).
pub const MARIADB_CLIENT_CACHE_METADATA: u32 = 1 << 4;

/// Bulk flag: the parameter types follow the header.
const BULK_SEND_TYPES_TO_SERVER: u16 = 128;

/// Per-row parameter indicators.
pub const INDICATOR_NONE: u8 = 0;
pub const INDICATOR_NULL: u8 = 1;

/// The first packet of a COM_STMT_PREPARE response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepareOk {
    pub statement_id: u32,
    pub columns: u16,
    pub params: u16,
    pub warnings: u16,
}

impl PrepareOk {
    pub fn decode(payload: &[u8]) -> Result<PrepareOk> {
        let mut r = Reader::new(payload, "COM_STMT_PREPARE response");
        let header = r.u8()?;
        if header != 0x00 {
            return Err(Error::protocol(format!("expected COM_STMT_PREPARE OK, got header 0x{header:02x}")));
        }
        let statement_id = r.u32()?;
        let columns = r.u16()?;
        let params = r.u16()?;
        r.skip(1)?; // reserved
                    // MySQL 5.0 and earlier end here; every server amysql talks to sends the count.
        let warnings = if r.remaining() >= 2 { r.u16()? } else { 0 };
        Ok(PrepareOk { statement_id, columns, params, warnings })
    }

    /// How many packets follow this one: the parameter definitions, then the column
    /// definitions, each list closed by an EOF packet unless DEPRECATE_EOF.
    pub fn packets_after(&self, deprecate_eof: bool) -> u32 {
        let eof = u32::from(!deprecate_eof);
        let list = |n: u16| if n == 0 { 0 } else { u32::from(n) + eof };
        list(self.params) + list(self.columns)
    }
}

pub fn com_stmt_prepare(out: &mut Vec<u8>, sql: &[u8]) -> u8 {
    simple_command(out, command::STMT_PREPARE, sql)
}

/// COM_STMT_CLOSE; the server sends no response.
pub fn com_stmt_close(out: &mut Vec<u8>, statement_id: u32) -> u8 {
    simple_command(out, command::STMT_CLOSE, &statement_id.to_le_bytes())
}

/// Starts a COM_STMT_BULK_EXECUTE for `param_count` parameters whose types are filled
/// in later with [`set_bulk_types`] (they are known only once the rows are encoded). The
/// caller then appends rows: per parameter an indicator byte and, for
/// `INDICATOR_NONE`, the binary value. Returns the packet start for [`finish_command`].
pub fn begin_bulk_execute(out: &mut Vec<u8>, statement_id: u32, param_count: usize) -> usize {
    let start = begin_command(out, command::STMT_BULK_EXECUTE);
    out.extend_from_slice(&statement_id.to_le_bytes());
    out.extend_from_slice(&BULK_SEND_TYPES_TO_SERVER.to_le_bytes());
    out.resize(out.len() + 2 * param_count, 0);
    start
}

/// Offset of the type table within a packet begun at `start` (4-byte header, command,
/// statement id, flags).
const TYPES_OFFSET: usize = 4 + 1 + 4 + 2;

/// Fills in the type table of a bulk command begun at `start`.
pub fn set_bulk_types(out: &mut [u8], start: usize, types: &[BinaryType]) {
    let table = &mut out[start + TYPES_OFFSET..start + TYPES_OFFSET + 2 * types.len()];
    for (slot, t) in table.chunks_exact_mut(2).zip(types) {
        slot[0] = t.code;
        slot[1] = t.flag_byte();
    }
}

/// Completes a bulk command; returns the next sequence id.
pub fn finish_bulk_execute(out: &mut Vec<u8>, start: usize) -> u8 {
    finish_command(out, start)
}

/// Offset, from the packet start, of COM_STMT_EXECUTE's NULL bitmap: 4-byte header,
/// command, statement id (4), flags (1), iteration count (4).
const EXECUTE_BITMAP_OFFSET: usize = 4 + 1 + 4 + 1 + 4;

/// Starts a COM_STMT_EXECUTE (no cursor, one iteration) for `param_count` parameters.
/// With parameters, a zeroed NULL bitmap, the new-params-bound flag and a zeroed type
/// table follow; the caller appends the values and fills both in with
/// [`set_execute_param`]. Returns the packet start for [`finish_command`].
pub fn begin_execute(out: &mut Vec<u8>, statement_id: u32, param_count: usize) -> usize {
    let start = begin_command(out, command::STMT_EXECUTE);
    out.extend_from_slice(&statement_id.to_le_bytes());
    out.push(0); // CURSOR_TYPE_NO_CURSOR
    out.extend_from_slice(&1u32.to_le_bytes());
    if param_count > 0 {
        out.resize(out.len() + param_count.div_ceil(8), 0);
        out.push(1); // types follow
        out.resize(out.len() + 2 * param_count, 0);
    }
    start
}

/// Records parameter `index`'s type in an execute begun at `start`; a NULL also sets
/// its bit in the NULL bitmap (and has no value bytes).
pub fn set_execute_param(out: &mut [u8], start: usize, param_count: usize, index: usize, t: BinaryType) {
    let bitmap = start + EXECUTE_BITMAP_OFFSET;
    if t.is_null() {
        out[bitmap + index / 8] |= 1 << (index % 8);
    }
    let types = bitmap + param_count.div_ceil(8) + 1;
    out[types + 2 * index] = t.code;
    out[types + 2 * index + 1] = t.flag_byte();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;

    #[test]
    fn decode_prepare_ok() {
        // id 1, 0 columns, 7 params, reserved, 0 warnings (MariaDB 10.11, an INSERT).
        let p = b"\x00\x01\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00";
        let ok = PrepareOk::decode(p).unwrap();
        assert_eq!(ok, PrepareOk { statement_id: 1, columns: 0, params: 7, warnings: 0 });
        assert_eq!(ok.packets_after(true), 7);
        assert_eq!(ok.packets_after(false), 8);
        let select = PrepareOk { columns: 2, params: 0, ..ok };
        assert_eq!(select.packets_after(false), 3);
        assert_eq!(PrepareOk { params: 0, columns: 0, ..ok }.packets_after(false), 0);
    }

    #[test]
    fn prepare_ok_rejects_bad_packets() {
        assert!(PrepareOk::decode(b"\xff\x01\x00").is_err());
        let p = b"\x00\x01\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00";
        for n in 0..10 {
            assert!(PrepareOk::decode(&p[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn commands() {
        let mut out = Vec::new();
        assert_eq!(com_stmt_prepare(&mut out, b"SELECT ?"), 1);
        assert_eq!(out, b"\x09\x00\x00\x00\x16SELECT ?");
        out.clear();
        com_stmt_close(&mut out, 0x0102_0304);
        assert_eq!(out, b"\x05\x00\x00\x00\x19\x04\x03\x02\x01");
    }

    #[test]
    fn execute_layout() {
        let mut out = Vec::new();
        let start = begin_execute(&mut out, 7, 0);
        finish_command(&mut out, start);
        assert_eq!(out, [10, 0, 0, 0, 0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0]);
        // Two parameters: 5 and NULL.
        out.clear();
        let start = begin_execute(&mut out, 7, 2);
        out.extend_from_slice(&5i64.to_le_bytes());
        set_execute_param(&mut out, start, 2, 0, BinaryType { code: column_type::LONGLONG, unsigned: false });
        set_execute_param(&mut out, start, 2, 1, BinaryType::NULL);
        finish_command(&mut out, start);
        let mut expected = vec![24, 0, 0, 0, 0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0];
        expected.extend_from_slice(&[0b10, 1, 8, 0, 6, 0]);
        expected.extend_from_slice(&5i64.to_le_bytes());
        assert_eq!(out, expected);
    }

    #[test]
    fn bulk_execute_layout() {
        let mut out = vec![0xaa]; // bytes already queued stay untouched
        let start = begin_bulk_execute(&mut out, 9, 2);
        // Row 1: 5, NULL. Row 2: 6, 'x'.
        out.extend_from_slice(&[INDICATOR_NONE, 5, 0, 0, 0, 0, 0, 0, 0, INDICATOR_NULL]);
        out.extend_from_slice(&[INDICATOR_NONE, 6, 0, 0, 0, 0, 0, 0, 0, INDICATOR_NONE, 1, b'x']);
        let types = [
            BinaryType { code: column_type::LONGLONG, unsigned: true },
            BinaryType { code: column_type::VAR_STRING, unsigned: false },
        ];
        set_bulk_types(&mut out, start, &types);
        assert_eq!(finish_bulk_execute(&mut out, start), 1);
        let mut expected = vec![0xaa, 33, 0, 0, 0, 0xfa, 9, 0, 0, 0, 128, 0, 8, 0x80, 253, 0];
        expected.extend_from_slice(&[0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'x']);
        assert_eq!(out, expected);
    }
}
