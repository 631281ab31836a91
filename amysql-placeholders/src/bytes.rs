//! A byte search for short statements.
//!
//! `<[u8]>::contains` calls the general memchr, whose out-of-line aligned path costs
//! ~110 instructions on the ~50-byte statements of a point query (callgrind); the
//! word-at-a-time test below stays inline and costs a few instructions per 8 bytes.

/// Whether `haystack` holds `needle`.
#[inline]
pub fn contains_byte(haystack: &[u8], needle: u8) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = u64::from_ne_bytes([needle; 8]);
    let mut words = haystack.chunks_exact(8);
    let mut found = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // A zero byte of `w` is a `needle` byte of the input. (w - 0x01..) & !w & 0x80..
        // is non-zero exactly when some byte of `w` is zero.
        let w = u64::from_ne_bytes(bytes) ^ pattern;
        found |= w.wrapping_sub(ONES) & !w & HIGHS;
    }
    if found != 0 {
        return true;
    }
    // At most 7 bytes: a plain loop (`contains` would go through memchr again).
    for &b in words.remainder() {
        if b == needle {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::contains_byte;

    #[test]
    fn agrees_with_contains() {
        for needle in [b';', b'?', 0x00, 0xff] {
            for len in 0..40 {
                for at in 0..=len {
                    let mut s: Vec<u8> = (0..len).map(|i| [b'x', b':', b'>', 0xbb, 0x3a, 0x00, 0xfe][i % 7]).collect();
                    s.retain(|&b| b != needle);
                    if at < s.len() {
                        s[at] = needle;
                    }
                    assert_eq!(contains_byte(&s, needle), s.contains(&needle), "{needle} {len} {at}");
                }
            }
        }
    }
}
