//! Character sets and collations: the names users pass as `charset`, the collation id
//! sent in the handshake, and which charsets are safe for client-side escaping.

/// A charset the client knows: its name, the default collation id to announce, and
/// whether backslash escaping is safe on it (false for multibyte encodings whose trail
/// bytes may equal `\` or `'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charset {
    pub name: &'static str,
    pub collation_id: u16,
    pub escape_safe: bool,
}

const CHARSETS: &[Charset] = &[
    Charset { name: "utf8mb4", collation_id: 45, escape_safe: true },
    Charset { name: "utf8mb3", collation_id: 33, escape_safe: true },
    Charset { name: "utf8", collation_id: 33, escape_safe: true },
    Charset { name: "latin1", collation_id: 8, escape_safe: true },
    Charset { name: "ascii", collation_id: 11, escape_safe: true },
    Charset { name: "binary", collation_id: 63, escape_safe: true },
    Charset { name: "latin2", collation_id: 9, escape_safe: true },
    Charset { name: "cp1250", collation_id: 26, escape_safe: true },
    Charset { name: "cp1251", collation_id: 51, escape_safe: true },
    Charset { name: "cp1252", collation_id: 8, escape_safe: true },
    Charset { name: "gbk", collation_id: 28, escape_safe: false },
    Charset { name: "big5", collation_id: 1, escape_safe: false },
    Charset { name: "sjis", collation_id: 13, escape_safe: false },
    Charset { name: "cp932", collation_id: 95, escape_safe: false },
    Charset { name: "gb2312", collation_id: 24, escape_safe: false },
];

/// Looks a charset up by name (case-insensitive).
pub fn by_name(name: &str) -> Option<Charset> {
    CHARSETS.iter().copied().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The charset name for a collation id the server reports (for columns and the greeting).
pub fn name_of_collation(id: u16) -> Option<&'static str> {
    Some(match id {
        45 | 46 | 224..=247 | 255..=323 => "utf8mb4",
        33 | 83 | 192..=215 | 223 => "utf8mb3",
        5 | 8 | 15 | 31 | 47..=49 | 94 => "latin1",
        11 | 65 => "ascii",
        63 => "binary",
        28 | 87 => "gbk",
        1 | 84 => "big5",
        13 | 88 => "sjis",
        95 | 96 => "cp932",
        24 | 86 => "gb2312",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(by_name("UTF8MB4").map(|c| c.collation_id), Some(45));
        assert!(!by_name("gbk").unwrap().escape_safe);
        assert!(by_name("klingon").is_none());
        assert_eq!(name_of_collation(255), Some("utf8mb4"));
        assert_eq!(name_of_collation(63), Some("binary"));
        assert_eq!(name_of_collation(9999), None);
    }
}
