//! `cursor.description`: PEP 249's 7-item column descriptions.

use crate::protocol::charset::name_of_collation;
use crate::protocol::column::Column;
use crate::protocol::constants::column_type;

/// One column of [`GenericCursor::description`](super::GenericCursor::description), in
/// PEP 249's order `(name, type_code, display_size, internal_size, precision, scale,
/// null_ok)`.
///
/// The values are PyMySQL's (`FieldDescriptorPacket.description()`), with two
/// corrections where PyMySQL's numbers are accidents rather than choices:
///
/// * `internal_size` is the server's column length, in characters for character
///   columns. PyMySQL divides by the bytes per character only for the four charsets in
///   its `MBLENGTH` table, which misses utf8mb4, so a utf8mb4 `VARCHAR(32)` reports 128
///   there and 32 here.
/// * `precision` of a DECIMAL is its number of digits (10 for `DECIMAL(10,2)`), as PEP
///   249 defines it; PyMySQL repeats the display length (12: sign and point included).
///   For other types it is the column length, as in PyMySQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnDescription {
    /// The column name or alias.
    pub name: String,
    /// The MySQL field type (3 LONG, 246 NEWDECIMAL, 253 VAR_STRING, ...); see
    /// `amysql::protocol::constants::column_type`.
    pub type_code: u8,
    /// Always `None`, as in PyMySQL.
    pub display_size: Option<u32>,
    /// The column length (characters for character columns, bytes otherwise).
    pub internal_size: u32,
    /// Digits for DECIMAL; the column length for other types.
    pub precision: Option<u32>,
    /// The column's decimals (scale) as the server reports it.
    pub scale: Option<u8>,
    /// True when the column may hold NULL.
    pub null_ok: Option<bool>,
}

impl ColumnDescription {
    /// Describes one column definition.
    pub fn from_column(c: &Column) -> ColumnDescription {
        let internal_size = char_length(c);
        let precision = match c.column_type() {
            column_type::DECIMAL | column_type::NEWDECIMAL => {
                let sign = u32::from(!c.is_unsigned());
                let point = u32::from(c.decimals() > 0);
                c.column_length().saturating_sub(sign + point)
            }
            _ => internal_size,
        };
        ColumnDescription {
            name: c.name().to_string(),
            type_code: c.column_type(),
            display_size: None,
            internal_size,
            precision: Some(precision),
            scale: Some(c.decimals()),
            null_ok: Some(c.is_nullable()),
        }
    }
}

/// The column length in characters for character columns (the server reports bytes:
/// characters times the charset's longest character).
fn char_length(c: &Column) -> u32 {
    let is_char_column =
        matches!(c.column_type(), column_type::VAR_STRING | column_type::STRING | column_type::VARCHAR);
    if !is_char_column || c.is_binary() {
        return c.column_length();
    }
    let max_bytes_per_char = match name_of_collation(c.charset()) {
        Some("utf8mb4") => 4,
        Some("utf8mb3") => 3,
        Some("gbk" | "big5" | "sjis" | "cp932" | "gb2312") => 2,
        _ => 1,
    };
    c.column_length() / max_bytes_per_char
}

#[cfg(test)]
mod tests {
    use super::*;

    // `SELECT name FROM test.users u` (VARCHAR(64) utf8mb4, nullable): length 256 bytes.
    const VARCHAR_64: &[u8] =
        b"\x03def\x04test\x01u\x05users\x04name\x04name\x0c\x2d\x00\x00\x01\x00\x00\xfd\x00\x00\x00\x00\x00";

    #[test]
    fn varchar_length_is_in_characters() {
        let d = ColumnDescription::from_column(&Column::decode(VARCHAR_64).unwrap());
        assert_eq!(d.name, "name");
        assert_eq!((d.type_code, d.display_size, d.internal_size), (253, None, 64));
        assert_eq!((d.precision, d.scale, d.null_ok), (Some(64), Some(0), Some(true)));
    }

    #[test]
    fn decimal_precision_is_in_digits() {
        // DECIMAL(10,2) NOT NULL: length 12, decimals 2, flags NOT_NULL.
        let p = b"\x03def\x00\x01t\x01t\x01d\x01d\x0c\x3f\x00\x0c\x00\x00\x00\xf6\x01\x00\x02\x00\x00";
        let d = ColumnDescription::from_column(&Column::decode(p).unwrap());
        assert_eq!((d.type_code, d.internal_size, d.precision, d.scale), (246, 12, Some(10), Some(2)));
        assert_eq!(d.null_ok, Some(false));
    }
}
