//! Reading `_amysql_migrations` rows back: what the server says was applied.
//!
//! These cells come from the server, so nothing here may index or slice on the
//! assumption that they are well formed: a row that does not parse is an `Err` that
//! names the migration, never a panic.

use super::TABLE;
use crate::error::{Error, Result};

/// One row of the bookkeeping table.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Applied {
    pub version: i64,
    pub checksum: Vec<u8>,
    pub success: bool,
}

/// Parses the text cells of `SELECT version, HEX(checksum), success`.
pub(super) fn parse_applied(row: &[Option<String>]) -> Result<Applied> {
    let cell = |i: usize| row.get(i).and_then(Option::as_deref).unwrap_or_default();
    let version: i64 = cell(0).parse().map_err(|_| Error::Decode(format!("bad version in {TABLE}")))?;
    let checksum = decode_hex(cell(1))
        .ok_or_else(|| Error::Decode(format!("migration {version}: the checksum in {TABLE} is not hexadecimal")))?;
    Ok(Applied { version, checksum, success: cell(2) == "1" })
}

/// `HEX()` output back to bytes; `None` unless it is an even number of hex digits.
/// Works on bytes, so a multi-byte character is just an invalid digit.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(String::from)).collect()
    }

    #[test]
    fn hex_checksums_decode() {
        let a = parse_applied(&row(&[Some("7"), Some("00ff1Aa0"), Some("1")])).unwrap();
        assert_eq!(a, Applied { version: 7, checksum: vec![0x00, 0xff, 0x1a, 0xa0], success: true });
        let a = parse_applied(&row(&[Some("8"), Some(""), Some("0")])).unwrap();
        assert_eq!(a, Applied { version: 8, checksum: vec![], success: false });
    }

    #[test]
    fn non_ascii_or_malformed_checksum_is_an_error_naming_the_version() {
        // "aé" is three bytes: slicing it two bytes at a time used to panic with
        // "byte index 2 is not a char boundary".
        for bad in ["aé", "éa", "aé!", "é", "abc", "0g", "+1", " 1", "12\u{0}0"] {
            let e = parse_applied(&row(&[Some("42"), Some(bad), Some("1")])).unwrap_err();
            assert!(matches!(e, Error::Decode(_)), "{bad:?}: {e:?}");
            assert!(e.to_string().contains("migration 42"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn short_or_bad_rows_are_errors_not_panics() {
        assert!(parse_applied(&[]).is_err());
        assert!(parse_applied(&row(&[None, Some("00"), Some("1")])).is_err());
        assert!(parse_applied(&row(&[Some("x1"), Some("00"), Some("1")])).is_err());
        assert!(parse_applied(&row(&[Some("é"), Some("00")])).is_err());
        // A missing success cell reads as "not successful" (dirty), not a crash.
        assert!(!parse_applied(&row(&[Some("1"), Some("00")])).unwrap().success);
    }
}
