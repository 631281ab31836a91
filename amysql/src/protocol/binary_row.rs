//! Binary-protocol rows (COM_STMT_EXECUTE results): a 0x00 header, a NULL bitmap, then
//! each non-NULL value in a layout chosen by its column type.
//!
//! As with text rows, nothing is copied: [`parse_binary_row`] records where each value
//! lies, and `FromSql::from_binary` reads from those ranges. A cell holds:
//! * fixed-width numbers (TINY..LONGLONG, YEAR, FLOAT, DOUBLE): exactly their
//!   little-endian bytes;
//! * temporal values: the bytes after the length byte (0, 4, 7 or 11 bytes for DATE,
//!   DATETIME and TIMESTAMP; 0, 8 or 12 for TIME);
//! * everything else: the length-encoded payload, the same bytes the text protocol sends.

use super::buf::Reader;
use super::column::Column;
use super::constants::column_type;
use super::text_row::{CellRange, NULL_CELL};
use crate::error::{Error, Result};

/// How a column type's values are laid out in a binary row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryLayout {
    /// A little-endian number of this many bytes.
    Fixed(usize),
    /// DATE, DATETIME, TIMESTAMP: a length byte (0, 4, 7 or 11), then y(2) m d [h m s [µs(4)]].
    DateTime,
    /// TIME: a length byte (0, 8 or 12), then sign, days(4), h m s [µs(4)].
    Time,
    /// A length-encoded string, the same bytes as in a text row.
    LengthEncoded,
}

/// The layout of `column_type`'s values.
pub fn binary_layout(column_type: u8) -> BinaryLayout {
    use column_type::*;
    match column_type {
        TINY => BinaryLayout::Fixed(1),
        SHORT | YEAR => BinaryLayout::Fixed(2),
        INT24 | LONG | FLOAT => BinaryLayout::Fixed(4),
        LONGLONG | DOUBLE => BinaryLayout::Fixed(8),
        DATE | NEWDATE | DATETIME | DATETIME2 | TIMESTAMP | TIMESTAMP2 => BinaryLayout::DateTime,
        TIME | TIME2 => BinaryLayout::Time,
        _ => BinaryLayout::LengthEncoded,
    }
}

/// Splits a binary-protocol row (COM_STMT_EXECUTE result) into cells, replacing `cells`.
/// A bad header, a value that does not fit the packet, an invalid temporal length and
/// bytes left over after the last column are protocol errors.
///
/// This runs once per row of every prepared result, so it walks the packet with a plain
/// offset and checks each cell's end once; the `Reader` is only used for the rare
/// multi-byte length prefixes.
pub fn parse_binary_row(packet: &[u8], columns: &[Column], cells: &mut Vec<CellRange>) -> Result<()> {
    cells.clear();
    if packet.len() > u32::MAX as usize - 1 {
        return Err(Error::protocol("row packet larger than 4 GiB"));
    }
    match packet.first() {
        Some(0x00) => {}
        Some(_) => return Err(Error::protocol("binary row does not start with 0x00")),
        None => return Err(truncated(packet, 0, 1)),
    }
    // Bits 0 and 1 are reserved (they belong to OK packets' use of the bitmap format).
    let bitmap_end = 1 + (columns.len() + 7 + 2) / 8;
    let Some(bitmap) = packet.get(1..bitmap_end) else { return Err(truncated(packet, 1, bitmap_end - 1)) };
    cells.reserve(columns.len());
    let mut pos = bitmap_end;
    for (i, column) in columns.iter().enumerate() {
        let bit = i + 2;
        if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
            cells.push(NULL_CELL);
            continue;
        }
        let (start, len) = match binary_layout(column.column_type()) {
            BinaryLayout::Fixed(n) => (pos, n),
            BinaryLayout::DateTime => (pos + 1, temporal_len(length_byte(packet, pos)?, &[0, 4, 7, 11], column, i)?),
            BinaryLayout::Time => (pos + 1, temporal_len(length_byte(packet, pos)?, &[0, 8, 12], column, i)?),
            BinaryLayout::LengthEncoded => match length_byte(packet, pos)? {
                n @ 0..=0xfa => (pos + 1, usize::from(n)),
                _ => long_length(packet, pos)?,
            },
        };
        // `start <= packet.len() + 1` and `len` fits the packet when this passes, so the
        // sum cannot overflow and both ends fit in u32.
        let end =
            start.checked_add(len).filter(|&end| end <= packet.len()).ok_or_else(|| truncated(packet, start, len))?;
        cells.push(CellRange { start: start as u32, end: end as u32 });
        pos = end;
    }
    if pos != packet.len() {
        return Err(Error::protocol(format!(
            "binary row has {} bytes after its {} columns",
            packet.len() - pos,
            columns.len()
        )));
    }
    Ok(())
}

fn length_byte(packet: &[u8], pos: usize) -> Result<u8> {
    packet.get(pos).copied().ok_or_else(|| truncated(packet, pos, 1))
}

/// A length prefix of 0xfc/0xfd/0xfe and the payload start after it; 0xfb and 0xff are
/// not lengths in a binary row.
#[cold]
fn long_length(packet: &[u8], pos: usize) -> Result<(usize, usize)> {
    let mut r = Reader::new(&packet[pos..], "binary row");
    let len = usize::try_from(r.lenenc_int()?).map_err(|_| Error::protocol("binary row value longer than memory"))?;
    Ok((packet.len() - r.remaining(), len))
}

#[cold]
fn truncated(packet: &[u8], at: usize, need: usize) -> Error {
    Error::protocol(format!("truncated binary row: needed {need} more bytes, {} left", packet.len().saturating_sub(at)))
}

fn temporal_len(len: u8, allowed: &[u8], column: &Column, index: usize) -> Result<usize> {
    if allowed.contains(&len) {
        Ok(usize::from(len))
    } else {
        Err(Error::protocol(format!(
            "invalid {} length {len} in binary row column {index} `{}`",
            column.type_name(),
            column.name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_flag;
    use proptest::prelude::*;

    fn col(t: u8) -> Column {
        Column::new("c", t, 63, 0)
    }

    fn cells_of<'a>(p: &'a [u8], columns: &[Column]) -> Result<Vec<Option<&'a [u8]>>> {
        let mut cells = Vec::new();
        parse_binary_row(p, columns, &mut cells)?;
        assert_eq!(cells.len(), columns.len());
        Ok(cells.iter().map(|c| c.slice(p)).collect())
    }

    /// `SELECT id, name, score, born, t, note, ratio, big, at` with a NULL `note`:
    /// INT UNSIGNED, VARCHAR, DOUBLE, DATE, TIME, TEXT (NULL), FLOAT, BIGINT, DATETIME(6).
    #[test]
    fn realistic_mixed_row() {
        use column_type::*;
        let columns = [
            Column::new("id", LONG, 63, column_flag::UNSIGNED),
            Column::new("name", VAR_STRING, 45, 0),
            col(DOUBLE),
            col(DATE),
            col(TIME),
            Column::new("note", BLOB, 45, 0),
            col(FLOAT),
            col(LONGLONG),
            col(DATETIME),
        ];
        let mut p = vec![0x00];
        // 9 columns -> (9 + 9) / 8 = 2 bitmap bytes; `note` is column 5 -> bit 7 of byte 0.
        p.extend_from_slice(&[0x80, 0x00]);
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"\x05h\xc3\xa9ll");
        p.extend_from_slice(&1.5f64.to_le_bytes());
        p.extend_from_slice(&[4, 0xe8, 0x07, 2, 29]);
        p.extend_from_slice(&[8, 1, 1, 0, 0, 0, 2, 3, 4]);
        p.extend_from_slice(&0.25f32.to_le_bytes());
        p.extend_from_slice(&(-2i64).to_le_bytes());
        p.extend_from_slice(&[11, 0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0]);
        let got = cells_of(&p, &columns).unwrap();
        assert_eq!(got[0], Some(&[7, 0, 0, 0][..]));
        assert_eq!(got[1], Some("héll".as_bytes()));
        assert_eq!(got[2], Some(&1.5f64.to_le_bytes()[..]));
        assert_eq!(got[3], Some(&[0xe8, 0x07, 2, 29][..]));
        assert_eq!(got[4], Some(&[1, 1, 0, 0, 0, 2, 3, 4][..]));
        assert_eq!(got[5], None);
        assert_eq!(got[6], Some(&0.25f32.to_le_bytes()[..]));
        assert_eq!(got[7], Some(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..]));
        assert_eq!(got[8], Some(&[0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0][..]));

        // Every strict prefix is truncated, and any extra byte is trailing garbage.
        for n in 0..p.len() {
            assert!(cells_of(&p[..n], &columns).is_err(), "prefix of {n} bytes");
        }
        p.push(0);
        assert!(cells_of(&p, &columns).unwrap_err().to_string().contains("1 bytes after its 9 columns"));
    }

    #[test]
    fn null_bitmap_offsets() {
        // 7 columns need (7 + 9) / 8 = 2 bytes: column 6 is bit 0 of byte 1.
        let columns = vec![col(column_type::TINY); 7];
        let got = cells_of(b"\x00\x00\x01\x01\x02\x03\x04\x05\x06", &columns).unwrap();
        assert_eq!(got.iter().filter(|c| c.is_none()).count(), 1);
        assert_eq!(got[6], None);
        assert_eq!(got[0], Some(&[1][..]));
        // 6 columns fit one byte: bits 2..=7.
        let got = cells_of(b"\x00\xfc", &columns[..6]).unwrap();
        assert!(got.iter().all(Option::is_none));
        // No columns: the header and one (empty) bitmap byte.
        assert_eq!(cells_of(b"\x00\x00", &[]).unwrap(), vec![]);
    }

    #[test]
    fn fixed_and_temporal_widths() {
        use column_type::*;
        for (t, width) in
            [(TINY, 1), (SHORT, 2), (YEAR, 2), (INT24, 4), (LONG, 4), (FLOAT, 4), (LONGLONG, 8), (DOUBLE, 8)]
        {
            let mut p = vec![0, 0];
            p.extend(std::iter::repeat(0xaa).take(width));
            assert_eq!(cells_of(&p, &[col(t)]).unwrap(), vec![Some(&p[2..])], "type {t}");
            assert!(cells_of(&p[..p.len() - 1], &[col(t)]).is_err());
        }
        for t in [DATE, NEWDATE, DATETIME, DATETIME2, TIMESTAMP, TIMESTAMP2] {
            for len in [0u8, 4, 7, 11] {
                let mut p = vec![0, 0, len];
                p.extend(std::iter::repeat(1).take(len.into()));
                assert_eq!(cells_of(&p, &[col(t)]).unwrap(), vec![Some(&p[3..])]);
            }
            for len in [1u8, 3, 8, 12, 255] {
                let e = cells_of(&[0, 0, len], &[col(t)]).unwrap_err().to_string();
                assert!(e.contains(&format!("length {len} in binary row column 0")), "{e}");
            }
        }
        for t in [TIME, TIME2] {
            assert_eq!(cells_of(&[0, 0, 0], &[col(t)]).unwrap(), vec![Some(&[][..])]);
            assert!(cells_of(&[0, 0, 4, 1, 2, 3, 4], &[col(t)]).is_err());
            assert!(cells_of(&[0, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], &[col(t)]).is_err());
        }
    }

    #[test]
    fn length_encoded_values() {
        use column_type::*;
        let mut p = vec![0, 0, 0xfc, 0x2c, 0x01];
        p.extend(std::iter::repeat(b'x').take(300));
        assert_eq!(cells_of(&p, &[col(BLOB)]).unwrap()[0].map(<[u8]>::len), Some(300));
        for t in [DECIMAL, NEWDECIMAL, VARCHAR, ENUM, SET, BIT, GEOMETRY, JSON, NULL, STRING, 99] {
            assert_eq!(cells_of(b"\x00\x00\x021x", &[col(t)]).unwrap(), vec![Some(&b"1x"[..])], "type {t}");
            assert_eq!(cells_of(b"\x00\x00\x00", &[col(t)]).unwrap(), vec![Some(&b""[..])]);
        }
        // 0xfb (NULL in text rows) and 0xff are not lengths here; huge lengths are truncations.
        for bad in
            [&b"\x00\x00\xfb"[..], b"\x00\x00\xff", b"\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff\xff", b"\x00\x00\x02x"]
        {
            assert!(cells_of(bad, &[col(VAR_STRING)]).is_err(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn bad_header() {
        let columns = [col(column_type::TINY)];
        assert!(cells_of(b"", &columns).is_err());
        assert!(cells_of(b"\xfe\x00\x01", &columns).unwrap_err().to_string().contains("does not start with 0x00"));
        assert!(cells_of(b"\x00", &columns).is_err());
    }

    const TYPES: &[u8] = &[
        column_type::TINY,
        column_type::SHORT,
        column_type::LONG,
        column_type::LONGLONG,
        column_type::DOUBLE,
        column_type::DATETIME,
        column_type::TIME,
        column_type::VAR_STRING,
        column_type::NEWDECIMAL,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_and_cells_stay_inside(
            bytes in proptest::collection::vec(any::<u8>(), 0..120),
            types in proptest::collection::vec(proptest::sample::select(TYPES), 0..12),
            zero_head: bool,
        ) {
            let columns: Vec<Column> = types.iter().map(|&t| col(t)).collect();
            let mut p = bytes;
            if zero_head && !p.is_empty() {
                p[0] = 0;
            }
            let mut cells = Vec::new();
            if parse_binary_row(&p, &columns, &mut cells).is_ok() {
                prop_assert_eq!(cells.len(), columns.len());
                for c in &cells {
                    prop_assert!(*c == NULL_CELL || c.slice(&p).is_some());
                }
            }
        }
    }
}
