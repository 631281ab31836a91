//! Text-protocol rows: each cell is a length-encoded string, or 0xFB for NULL.
//!
//! Rows are not copied apart: [`parse_text_row`] records where each cell lies in the
//! packet, and decoders read straight from those ranges.

use crate::error::{Error, Result};

/// Where one cell lies in its row packet; `NULL_CELL` marks SQL NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellRange {
    pub start: u32,
    pub end: u32,
}

/// The marker range for NULL cells.
pub const NULL_CELL: CellRange = CellRange { start: u32::MAX, end: u32::MAX };

impl CellRange {
    /// The cell's bytes in `packet`, `None` for NULL.
    #[inline]
    pub fn slice<'a>(&self, packet: &'a [u8]) -> Option<&'a [u8]> {
        if self.start == u32::MAX {
            None
        } else {
            packet.get(self.start as usize..self.end as usize)
        }
    }
}

/// Splits a row packet into `column_count` cells, replacing the contents of `cells`.
/// Rows with too few or too many bytes for the announced columns are protocol errors.
pub fn parse_text_row(packet: &[u8], column_count: usize, cells: &mut Vec<CellRange>) -> Result<()> {
    cells.clear();
    if packet.len() > u32::MAX as usize - 1 {
        return Err(Error::protocol("row packet larger than 4 GiB"));
    }
    let mut pos = 0usize;
    for _ in 0..column_count {
        let Some(&first) = packet.get(pos) else {
            return Err(truncated(column_count, cells.len()));
        };
        let (len, header) = match first {
            0xfb => {
                cells.push(NULL_CELL);
                pos += 1;
                continue;
            }
            n @ 0..=0xfa => (u64::from(n), 1),
            0xfc => (read_le(packet, pos + 1, 2).ok_or_else(|| truncated(column_count, cells.len()))?, 3),
            0xfd => (read_le(packet, pos + 1, 3).ok_or_else(|| truncated(column_count, cells.len()))?, 4),
            0xfe => (read_le(packet, pos + 1, 8).ok_or_else(|| truncated(column_count, cells.len()))?, 9),
            0xff => return Err(Error::protocol("invalid cell length prefix 0xff in row")),
        };
        let start = pos + header;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= packet.len())
            .ok_or_else(|| truncated(column_count, cells.len()))?;
        cells.push(CellRange { start: start as u32, end: end as u32 });
        pos = end;
    }
    if pos != packet.len() {
        return Err(Error::protocol(format!(
            "row packet has {} bytes after its {column_count} columns",
            packet.len() - pos
        )));
    }
    Ok(())
}

#[inline]
fn read_le(p: &[u8], at: usize, n: usize) -> Option<u64> {
    let b = p.get(at..at + n)?;
    Some(b.iter().rev().fold(0u64, |acc, &x| acc << 8 | u64::from(x)))
}

fn truncated(expected: usize, got: usize) -> Error {
    Error::protocol(format!("truncated row: {expected} columns announced, cell {} incomplete", got + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_nulls() {
        let p = b"\x011\xfb\x05hello\x00";
        let mut cells = Vec::new();
        parse_text_row(p, 4, &mut cells).unwrap();
        let got: Vec<_> = cells.iter().map(|c| c.slice(p)).collect();
        assert_eq!(got, vec![Some(&b"1"[..]), None, Some(&b"hello"[..]), Some(&b""[..])]);
    }

    #[test]
    fn long_cell_prefixes() {
        let mut p = vec![0xfc, 0x2c, 0x01];
        p.extend(std::iter::repeat(b'x').take(300));
        let mut cells = Vec::new();
        parse_text_row(&p, 1, &mut cells).unwrap();
        assert_eq!(cells[0], CellRange { start: 3, end: 303 });
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let mut cells = Vec::new();
        assert!(parse_text_row(b"\x011", 2, &mut cells).is_err());
        assert!(parse_text_row(b"\x011\x012", 1, &mut cells).is_err());
        assert!(parse_text_row(b"\x051", 1, &mut cells).is_err());
        assert!(parse_text_row(b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff", 1, &mut cells).is_err());
        assert!(parse_text_row(b"\xff", 1, &mut cells).is_err());
        assert!(parse_text_row(b"\xfc\x01", 1, &mut cells).is_err());
    }
}
