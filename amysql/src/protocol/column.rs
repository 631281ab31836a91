//! Column definitions (`ColumnDefinition41`), decoded once per result set.

use super::buf::Reader;
use super::constants::{column_flag, column_type};
use crate::error::Result;

/// The binary pseudo-charset: columns with it hold bytes, not text.
pub const BINARY_CHARSET: u16 = 63;

/// One column of a result set, as the server described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    schema: String,
    table: String,
    org_table: String,
    name: String,
    org_name: String,
    charset: u16,
    column_length: u32,
    column_type: u8,
    flags: u16,
    decimals: u8,
}

fn text(b: &[u8]) -> String {
    // Identifiers are sent in the connection charset (utf8mb4 by default); a server that
    // sends something else gets a lossy name rather than a failed query.
    String::from_utf8_lossy(b).into_owned()
}

impl Column {
    /// Decodes a `ColumnDefinition41` payload.
    pub fn decode(payload: &[u8]) -> Result<Column> {
        let mut r = Reader::new(payload, "column definition");
        let _catalog = r.lenenc_bytes()?;
        let schema = text(r.lenenc_bytes()?);
        let table = text(r.lenenc_bytes()?);
        let org_table = text(r.lenenc_bytes()?);
        let name = text(r.lenenc_bytes()?);
        let org_name = text(r.lenenc_bytes()?);
        // Length of the fixed-length fields; always 0x0c, but trust the bytes that follow.
        let _fixed_len = r.lenenc_int()?;
        let charset = r.u16()?;
        let column_length = r.u32()?;
        let column_type = r.u8()?;
        let flags = r.u16()?;
        let decimals = r.u8()?;
        Ok(Column { schema, table, org_table, name, org_name, charset, column_length, column_type, flags, decimals })
    }

    /// Builds a column by hand (tests, and results synthesized by the client).
    pub fn new(name: impl Into<String>, column_type: u8, charset: u16, flags: u16) -> Column {
        Column {
            schema: String::new(),
            table: String::new(),
            org_table: String::new(),
            name: name.into(),
            org_name: String::new(),
            charset,
            column_length: 0,
            column_type,
            flags,
            decimals: 0,
        }
    }

    /// With this scale (`decimals`), for tests and synthesized results.
    pub fn with_decimals(mut self, decimals: u8) -> Column {
        self.decimals = decimals;
        self
    }

    /// Sets the table alias (tests and synthesized results).
    pub fn set_table(&mut self, table: impl Into<String>) {
        self.table = table.into();
    }

    /// The column's name or alias as the query labelled it.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The table alias the column came from ("" for expressions).
    pub fn table(&self) -> &str {
        &self.table
    }
    /// The physical table name.
    pub fn org_table(&self) -> &str {
        &self.org_table
    }
    /// The physical column name.
    pub fn org_name(&self) -> &str {
        &self.org_name
    }
    /// The schema (database).
    pub fn schema(&self) -> &str {
        &self.schema
    }
    /// Collation id of the column (63 = binary).
    pub fn charset(&self) -> u16 {
        self.charset
    }
    /// Maximum display length in bytes.
    pub fn column_length(&self) -> u32 {
        self.column_length
    }
    /// The MySQL field type (see `protocol::constants::column_type`).
    pub fn column_type(&self) -> u8 {
        self.column_type
    }
    /// Column flags (see `protocol::constants::column_flag`).
    pub fn flags(&self) -> u16 {
        self.flags
    }
    /// Number of decimals (scale) for numeric and temporal columns.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }
    /// True for UNSIGNED integer columns.
    pub fn is_unsigned(&self) -> bool {
        self.flags & column_flag::UNSIGNED != 0
    }
    /// True when the column may hold NULL.
    pub fn is_nullable(&self) -> bool {
        self.flags & column_flag::NOT_NULL == 0
    }
    /// True when values are bytes rather than text (binary charset).
    pub fn is_binary(&self) -> bool {
        self.charset == BINARY_CHARSET
    }
    /// SQL type name for messages ("INT", "VARCHAR", "BLOB", ...).
    pub fn type_name(&self) -> &'static str {
        match self.column_type {
            column_type::VAR_STRING if self.is_binary() => "VARBINARY",
            column_type::STRING if self.is_binary() => "BINARY",
            t => column_type::name(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `SELECT 1 AS a` against MariaDB 10.11, column definition payload.
    const ONE_AS_A: &[u8] = b"\x03def\x00\x00\x00\x01a\x00\x0c\x3f\x00\x01\x00\x00\x00\x03\x81\x00\x00\x00\x00";

    #[test]
    fn decode_int_column() {
        let c = Column::decode(ONE_AS_A).unwrap();
        assert_eq!(c.name(), "a");
        assert_eq!(c.column_type(), column_type::LONG);
        assert_eq!(c.charset(), 63);
        assert_eq!(c.column_length(), 1);
        assert_eq!(c.flags(), 0x0081);
        assert!(!c.is_nullable());
        assert_eq!(c.type_name(), "INT");
    }

    // `SELECT name FROM test.users u` (VARCHAR(64) utf8mb4, nullable).
    #[test]
    fn decode_varchar_with_table() {
        let payload =
            b"\x03def\x04test\x01u\x05users\x04name\x04name\x0c\x2d\x00\x00\x01\x00\x00\xfd\x00\x00\x00\x00\x00";
        let c = Column::decode(payload).unwrap();
        assert_eq!((c.schema(), c.table(), c.org_table()), ("test", "u", "users"));
        assert_eq!((c.name(), c.org_name()), ("name", "name"));
        assert_eq!(c.charset(), 45);
        assert_eq!(c.column_length(), 256);
        assert_eq!(c.column_type(), column_type::VAR_STRING);
        assert!(c.is_nullable());
    }

    #[test]
    fn truncated_definitions_are_errors() {
        for n in 0..ONE_AS_A.len() - 2 {
            assert!(Column::decode(&ONE_AS_A[..n]).is_err(), "prefix of {n} bytes");
        }
    }
}
