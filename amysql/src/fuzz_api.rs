//! Entry points for the `cargo fuzz` target in `fuzz/`: each feeds arbitrary bytes to one
//! of the sans-IO decoders the connection runs on server data. Not part of the API (the
//! protocol module is to become private; these stay as the fuzzer's door into it).
//!
//! Every function must return for every input without panicking; that is what the
//! fuzzer checks. Results are discarded except where a decoder's output feeds the next
//! layer (cells into value decoding), so the fuzzer reaches that layer too.

use crate::protocol::auth;
use crate::protocol::buf::Reader;
use crate::protocol::column::Column;
use crate::protocol::constants::{capability as cap, column_flag, column_type};
use crate::protocol::handshake::HandshakeV10;
use crate::protocol::packet::{find_frame, join_chunks, HEADER_LEN};
use crate::protocol::prepared::PrepareOk;
use crate::protocol::response::{is_result_end, EofPacket, ErrPacket, OkPacket, QueryResponse};
use crate::protocol::text_row::{parse_text_row, CellRange};
use crate::row::{ColumnSet, RowRef};
use crate::value::{Date, DateTime, Time, Value};

/// Capability sets the response decoders are tried with: pre-4.1, plain 4.1, and what
/// amysql negotiates with MariaDB (plus SESSION_TRACK, which changes OK parsing).
const CAPS: [u32; 3] = [
    0,
    cap::PROTOCOL_41,
    cap::PROTOCOL_41 | cap::TRANSACTIONS | cap::SESSION_TRACK | cap::DEPRECATE_EOF | cap::MULTI_RESULTS,
];

/// Column types a derived column set picks from (index = byte % len).
const TYPES: [u8; 31] = [
    column_type::DECIMAL,
    column_type::TINY,
    column_type::SHORT,
    column_type::LONG,
    column_type::FLOAT,
    column_type::DOUBLE,
    column_type::NULL,
    column_type::TIMESTAMP,
    column_type::LONGLONG,
    column_type::INT24,
    column_type::DATE,
    column_type::TIME,
    column_type::DATETIME,
    column_type::YEAR,
    column_type::NEWDATE,
    column_type::VARCHAR,
    column_type::BIT,
    column_type::TIMESTAMP2,
    column_type::DATETIME2,
    column_type::TIME2,
    column_type::JSON,
    column_type::NEWDECIMAL,
    column_type::ENUM,
    column_type::SET,
    column_type::TINY_BLOB,
    column_type::MEDIUM_BLOB,
    column_type::LONG_BLOB,
    column_type::BLOB,
    column_type::VAR_STRING,
    column_type::STRING,
    column_type::GEOMETRY,
];

/// Packet framing: every complete frame at the front of `data`, joined, as the receive
/// loop does, under a small and a large limit. The first expected sequence id is the
/// first header's (so framing is exercised, not just the id check); each frame's id then
/// follows from the previous one, as in the receive loop.
pub fn frames(data: &[u8]) {
    for max in [64, 1 << 30] {
        let mut rest = data;
        let mut seq = data.get(3).copied().unwrap_or(0);
        while let Ok(Some(frame)) = find_frame(rest, max, seq) {
            let wire = &rest[..frame.wire_len];
            let payload = if frame.chunks == 1 { wire[HEADER_LEN..].to_vec() } else { join_chunks(wire, &frame) };
            assert_eq!(payload.len(), frame.payload_len, "joined payload length");
            assert_eq!(frame.first_seq, seq, "first chunk id");
            seq = frame.last_seq.wrapping_add(1);
            rest = &rest[frame.wire_len..];
        }
    }
}

/// The server greeting.
pub fn handshake(data: &[u8]) {
    if let Ok(h) = HandshakeV10::decode(data) {
        // What connect does next with it.
        let _ = auth::scramble_native(b"pw", &h.nonce);
        let _ = auth::scramble_caching_sha2(b"pw", &h.nonce);
        let _ = auth::xor_password_with_nonce(b"pw", &h.nonce);
    }
}

/// OK, ERR and EOF packets and the end-of-result test, under each capability set.
pub fn ok_err_eof(data: &[u8]) {
    let _ = EofPacket::decode(data);
    for caps in CAPS {
        let _ = OkPacket::decode(data, caps);
        if let Ok(e) = ErrPacket::decode(data, caps) {
            let _ = e.into_error().to_string();
        }
    }
    let _ = is_result_end(data, true);
    let _ = is_result_end(data, false);
}

/// The first packet of a COM_QUERY / COM_STMT_EXECUTE response.
pub fn query_response(data: &[u8]) {
    for caps in CAPS {
        for cache_metadata in [false, true] {
            let _ = QueryResponse::decode(data, caps, cache_metadata);
        }
    }
}

/// A column definition, and everything the cursor description reads from it.
pub fn column(data: &[u8]) {
    if let Ok(c) = Column::decode(data) {
        let _ = (c.type_name(), c.is_nullable(), c.is_unsigned(), c.is_binary(), c.name().len());
        let _ = crate::cursor::ColumnDescription::from_column(&c);
    }
}

/// The COM_STMT_PREPARE response header.
pub fn prepare_ok(data: &[u8]) {
    if let Ok(ok) = PrepareOk::decode(data) {
        let _ = ok.packets_after(true);
        let _ = ok.packets_after(false);
    }
}

/// An AuthSwitchRequest (0xFE, plugin name, NUL, nonce), parsed as `authenticate` does,
/// then answered for the plugin it names; and AuthMoreData carrying an RSA key.
pub fn auth_switch(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else { return };
    if first == 0x01 {
        // AuthMoreData: a PEM public key for the RSA password exchange.
        let _ = auth::rsa_encrypt_password(b"pw", b"01234567890123456789", body);
        return;
    }
    let mut r = Reader::new(body, "auth switch request");
    let Ok(plugin) = r.null_terminated() else { return };
    let nonce = r.eof_string();
    match plugin {
        b"mysql_native_password" => drop(auth::scramble_native(b"pw", nonce)),
        b"caching_sha2_password" => drop(auth::scramble_caching_sha2(b"pw", nonce)),
        b"client_ed25519" => drop(auth::ed25519_response(b"pw", nonce)),
        _ => drop(auth::xor_password_with_nonce(b"pw", nonce)),
    }
}

/// A column set derived from the front of `data`: a count byte (up to 31 columns), then
/// one byte per column choosing its type (low 5 bits) and UNSIGNED / binary charset.
/// Returns the columns and the bytes after them.
fn derived_columns(data: &[u8]) -> (Vec<Column>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return (Vec::new(), data) };
    let n = usize::from(n % 32).min(rest.len());
    let (spec, rest) = rest.split_at(n);
    let columns = spec
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let t = TYPES[usize::from(b & 0x1f) % TYPES.len()];
            let flags = if b & 0x20 != 0 { column_flag::UNSIGNED } else { 0 };
            let charset = if b & 0x40 != 0 { 63 } else { 45 };
            Column::new(format!("c{i}"), t, charset, flags)
        })
        .collect();
    (columns, rest)
}

/// Decodes every cell of a parsed row through the value layer, as rows are read.
fn decode_cells(row: &RowRef<'_>) {
    for i in 0..row.len() {
        let _ = row.decode::<Value>(i);
        let _ = row.decode::<i64>(i);
        let _ = row.decode::<u64>(i);
        let _ = row.decode::<f64>(i);
        let _ = row.decode::<String>(i);
        let _ = row.decode::<Vec<u8>>(i);
        let _ = row.decode::<Option<bool>>(i);
        let _ = row.decode::<Date>(i);
        let _ = row.decode::<DateTime>(i);
        let _ = row.decode::<Time>(i);
        #[cfg(feature = "chrono")]
        {
            let _ = row.decode::<chrono::NaiveDateTime>(i);
            let _ = row.decode::<chrono::NaiveTime>(i);
            let _ = row.decode::<chrono::TimeDelta>(i);
        }
        #[cfg(feature = "rust_decimal")]
        let _ = row.decode::<rust_decimal::Decimal>(i);
        #[cfg(feature = "json")]
        let _ = row.decode::<serde_json::Value>(i);
    }
}

/// A text-protocol row for a column set derived from the input, then its cells decoded.
pub fn text_row(data: &[u8]) {
    let (columns, packet) = derived_columns(data);
    let mut cells: Vec<CellRange> = Vec::new();
    if parse_text_row(packet, columns.len(), &mut cells).is_ok() {
        let set = ColumnSet::new(columns);
        decode_cells(&RowRef::new(&set, packet, &cells));
    }
}

/// A binary-protocol row for a column set derived from the input, then its cells decoded.
pub fn binary_row(data: &[u8]) {
    let (columns, packet) = derived_columns(data);
    let set = ColumnSet::binary(columns);
    let mut cells: Vec<CellRange> = Vec::new();
    if set.parse_row(packet, &mut cells).is_ok() {
        decode_cells(&RowRef::new(&set, packet, &cells));
    }
}

/// One input, every decoder: the first byte picks the decoder, the rest is its input
/// (so the fuzzer's corpus entries specialize), and a few decoders also see the whole.
pub fn decoders(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 10 {
        0 => frames(rest),
        1 => handshake(rest),
        2 => ok_err_eof(rest),
        3 => query_response(rest),
        4 => column(rest),
        5 => text_row(rest),
        6 => binary_row(rest),
        7 => prepare_ok(rest),
        8 => auth_switch(rest),
        _ => {
            frames(data);
            ok_err_eof(data);
            query_response(data);
            column(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_take_edge_inputs() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\xff",
            b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\x05\x00\x01\x02\x03\x04\x05",
            b"\xff\xff\xff\x00\x01\x00\x00\x01\x00",
            b"\x1f\x0b\x0c\x0a\x07\x12\x13\x11\x0e\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18",
            b"\x01mysql_native_password\x00-----BEGIN PUBLIC KEY-----",
        ];
        for data in inputs {
            for first in 0..10u8 {
                let mut v = vec![first];
                v.extend_from_slice(data);
                decoders(&v);
            }
        }
    }

    #[test]
    fn derived_columns_shape() {
        let (cols, rest) = derived_columns(b"\x02\x08\x3dxyz");
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].column_type(), column_type::LONGLONG);
        assert!(cols[1].is_unsigned());
        assert_eq!(rest, b"xyz");
    }
}
