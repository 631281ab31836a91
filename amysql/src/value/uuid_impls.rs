//! uuid support (feature `uuid`): `uuid::Uuid` as a parameter and as a decoded cell.
//!
//! **Sent as its 16 raw bytes**, for a `BINARY(16)` column: the compact form that sqlx and
//! mysql_async also send, and what MySQL 8's `UUID_TO_BIN(u)` produces (without its
//! swap flag). For a `CHAR(36)` column send the text instead, `u.hyphenated()` (or
//! `u.simple()` for `CHAR(32)`): comparing a CHAR column with the bytes never matches.
//! Both paths agree: `%s` writes `_binary'…'`, a prepared statement binds a BLOB.
//!
//! **Decoded from either form**, by length, so one Rust type reads both schemas:
//! 16 bytes are the raw form (`BINARY(16)`, `UUID_TO_BIN`, `UNHEX(..)`); 36 characters
//! the hyphenated text (`CHAR(36)`, `UUID()`, MariaDB's `UUID` type); 32 the bare hex
//! (`CHAR(32)`, `HEX(bin_col)`, either case). Nothing else is a UUID: braced and `urn:`
//! forms are refused, so a stray value is an error rather than a guess. A 16-character
//! text can never be a UUID's text, so reading 16 bytes as raw is never ambiguous.

use uuid::fmt::{Hyphenated, Simple};
use uuid::Uuid;

use super::binary::{self, BinaryResult};
use super::format::FormatContext;
use super::from_sql::{non_null, show_bytes, DecodeError, FromSql};
use super::to_sql::{write_bytes, write_str, ToSql};
use super::Value;
use crate::error::Result;
use crate::protocol::column::Column;

impl ToSql for Uuid {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_bytes(self.as_bytes(), out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_bytes(self.as_bytes(), out)
    }
}

/// `u.hyphenated()` is the 36-character text, for `CHAR(36)` columns.
impl ToSql for Hyphenated {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self.encode_lower(&mut Uuid::encode_buffer()), out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_str(self.encode_lower(&mut Uuid::encode_buffer()).as_bytes(), out)
    }
}

/// `u.simple()` is the 32-character hex text, for `CHAR(32)` columns.
impl ToSql for Simple {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self.encode_lower(&mut Uuid::encode_buffer()), out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_str(self.encode_lower(&mut Uuid::encode_buffer()).as_bytes(), out)
    }
}

/// The raw bytes or one of the two text forms, by length (see the module docs).
fn parse_uuid(raw: &[u8]) -> Option<Uuid> {
    match raw.len() {
        16 => Uuid::from_slice(raw).ok(),
        32 | 36 => Uuid::try_parse_ascii(raw).ok(),
        _ => None,
    }
}

fn decode_uuid(raw: Option<&[u8]>) -> std::result::Result<Uuid, DecodeError> {
    let raw = non_null(raw)?;
    parse_uuid(raw).ok_or_else(|| {
        DecodeError::new(format!("invalid UUID {}: expected 16 bytes or 32/36 hexadecimal characters", show_bytes(raw)))
    })
}

// No `from_binary` overrides: BINARY/CHAR cells hold the same bytes in both protocols,
// and the default renders any other cell as its text, which is then refused the same way.
impl FromSql for Uuid {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        decode_uuid(raw)
    }
}

impl FromSql for Hyphenated {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        decode_uuid(raw).map(Uuid::hyphenated)
    }
}

impl FromSql for Simple {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        decode_uuid(raw).map(Uuid::simple)
    }
}

/// The raw bytes, as `ToSql` sends them.
impl From<Uuid> for Value {
    fn from(u: Uuid) -> Value {
        Value::Bytes(u.as_bytes().to_vec())
    }
}

/// The text, as `ToSql` sends it.
impl From<Hyphenated> for Value {
    fn from(u: Hyphenated) -> Value {
        Value::Text(u.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;
    use crate::value::test_support::{bin, lit};

    const TEXT: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";
    const BYTES: [u8; 16] =
        [0x67, 0xe5, 0x50, 0x44, 0x10, 0xb1, 0x42, 0x6f, 0x92, 0x47, 0xbb, 0x68, 0x0e, 0x5f, 0xe0, 0xc8];

    fn u() -> Uuid {
        Uuid::from_bytes(BYTES)
    }

    fn col(t: u8, charset: u16) -> Column {
        Column::new("id", t, charset, 0)
    }

    #[test]
    fn encodes_as_bytes_by_default_and_as_text_when_asked() {
        let mut want = b"_binary'".to_vec();
        want.extend_from_slice(&BYTES);
        want.push(b'\'');
        let mut out = Vec::new();
        u().write_sql(&mut out, &FormatContext::default()).unwrap();
        assert_eq!(out, want);
        // A zero byte and a quote are escaped like any bytes literal.
        let tricky = Uuid::from_bytes([0, b'\'', b'\\', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(lit(&tricky), "_binary'\\0\\'\\\\\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\u{1}'");
        let hex = FormatContext::default().with_hex_bytes();
        let mut out = Vec::new();
        u().write_sql(&mut out, &hex).unwrap();
        assert_eq!(out, b"X'67E5504410B1426F9247BB680E5FE0C8'");
        assert_eq!(lit(&u().hyphenated()), format!("'{TEXT}'"));
        assert_eq!(lit(&u().simple()), "'67e5504410b1426f9247bb680e5fe0c8'");

        let mut want = vec![16];
        want.extend_from_slice(&BYTES);
        assert_eq!(bin(&u()), (column_type::BLOB, want));
        let mut want = vec![36];
        want.extend_from_slice(TEXT.as_bytes());
        assert_eq!(bin(&u().hyphenated()), (column_type::VAR_STRING, want));
        assert_eq!(bin(&u().simple()).1[0], 32);
        assert_eq!(Value::from(u()), Value::Bytes(BYTES.to_vec()));
        assert_eq!(Value::from(u().hyphenated()), Value::Text(TEXT.into()));
    }

    #[test]
    fn decodes_raw_bytes_and_both_text_forms() {
        let binary = col(column_type::STRING, 63);
        let text = col(column_type::STRING, 45);
        assert_eq!(Uuid::from_sql(Some(&BYTES), &binary).unwrap(), u());
        assert_eq!(Uuid::from_sql(Some(TEXT.as_bytes()), &text).unwrap(), u());
        assert_eq!(Uuid::from_sql(Some(TEXT.to_uppercase().as_bytes()), &text).unwrap(), u());
        assert_eq!(Uuid::from_sql(Some(b"67E5504410B1426F9247BB680E5FE0C8"), &binary).unwrap(), u());
        assert_eq!(Hyphenated::from_sql(Some(&BYTES), &binary).unwrap(), u().hyphenated());
        assert_eq!(Simple::from_sql(Some(TEXT.as_bytes()), &text).unwrap(), u().simple());
        // The binary protocol carries the same bytes for string columns.
        assert_eq!(Uuid::from_binary(Some(&BYTES), &binary).unwrap(), u());
        assert_eq!(Option::<Uuid>::from_binary(None, &binary).unwrap(), None);
    }

    #[test]
    fn anything_else_is_an_error() {
        let c = col(column_type::VAR_STRING, 45);
        for bad in [
            &b""[..],
            &BYTES[..15],
            b"67e55044-10b1-426f-9247-bb680e5fe0c",
            b"67e55044-10b1-426f-9247-bb680e5fe0cg",
            b"{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            b"urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            b"67e55044_10b1_426f_9247_bb680e5fe0c8",
            &[0xff; 36],
        ] {
            let e = Uuid::from_sql(Some(bad), &c).unwrap_err();
            assert!(e.reason().starts_with("invalid UUID"), "{e}");
        }
        assert_eq!(Uuid::from_sql(None, &c).unwrap_err().reason(), "unexpected NULL");
        // A non-string cell on the binary path is rendered, then refused the same way.
        let e = Uuid::from_binary(Some(&7i64.to_le_bytes()), &col(column_type::LONGLONG, 63)).unwrap_err();
        assert_eq!(e.reason(), "invalid UUID \"7\": expected 16 bytes or 32/36 hexadecimal characters");
    }
}
