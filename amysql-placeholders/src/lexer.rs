//! Just enough of the MySQL/MariaDB lexer to tell SQL code from text that is not code:
//! string literals, quoted identifiers and comments. A `?` or `%s` there is not a
//! placeholder, exactly as the server's own parser does not count a `?` there as a
//! parameter marker.
//!
//! What counts as "not code":
//! * `'...'` and `"..."` (a doubled quote stays inside; with backslash escapes, `\x`
//!   too), `` `...` `` (a doubled backtick stays inside; no backslash escapes);
//! * `# ...` and `-- ...` to the end of the line (`--` must be followed by a space, a
//!   control character or the end, as the server requires);
//! * `/* ... */`, except `/*! ... */` and MariaDB's `/*M! ... */`: the server executes
//!   those, so their content is code (the closing `*/` is harmless to scan as code).
//!
//! An unterminated literal or comment runs to the end: the server rejects such SQL, so
//! there is nothing to substitute after it anyway.

/// The position of the next `?` or `%` that is SQL code, searching from `i` (which
/// must be at code level). `backslash` says whether `\` escapes inside strings (the
/// server's default; off under `NO_BACKSLASH_ESCAPES`). `saw_backslash` is set when a
/// backslash inside a string was skipped, i.e. when the answer may depend on the mode.
pub(crate) fn next_mark(b: &[u8], mut i: usize, backslash: bool, saw_backslash: &mut bool) -> Option<usize> {
    while let Some(&c) = b.get(i) {
        i = match c {
            b'?' | b'%' => return Some(i),
            b'\'' | b'"' => skip_string(b, i + 1, c, backslash, saw_backslash),
            b'`' => skip_string(b, i + 1, b'`', false, saw_backslash),
            b'#' => skip_line(b, i + 1),
            b'-' if b.get(i + 1) == Some(&b'-')
                && b.get(i + 2).map_or(true, |&n| n == b' ' || n.is_ascii_control()) =>
            {
                skip_line(b, i + 2)
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match b.get(i + 2) {
                // Executable comments: their content is code.
                Some(b'!') => i + 3,
                Some(b'M') if b.get(i + 3) == Some(&b'!') => i + 4,
                _ => skip_block_comment(b, i + 2),
            },
            _ => i + 1,
        };
    }
    None
}

/// Past the closing `quote` of a literal whose content starts at `i`.
fn skip_string(b: &[u8], mut i: usize, quote: u8, backslash: bool, saw_backslash: &mut bool) -> usize {
    while let Some(&c) = b.get(i) {
        if c == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        if c == b'\\' && quote != b'`' {
            *saw_backslash = true;
            if backslash {
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    b.len()
}

/// Past the end of the line that `i` is on.
fn skip_line(b: &[u8], i: usize) -> usize {
    match b[i.min(b.len())..].iter().position(|&c| c == b'\n') {
        Some(off) => i + off + 1,
        None => b.len(),
    }
}

/// Past the `*/` that closes a comment whose content starts at `i`.
fn skip_block_comment(b: &[u8], i: usize) -> usize {
    match b[i.min(b.len())..].windows(2).position(|w| w == b"*/") {
        Some(off) => i + off + 2,
        None => b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code-level `?`/`%` in `sql`, as offsets.
    fn marks(sql: &str, backslash: bool) -> Vec<usize> {
        let (b, mut out, mut i, mut saw) = (sql.as_bytes(), Vec::new(), 0, false);
        while let Some(at) = next_mark(b, i, backslash, &mut saw) {
            out.push(at);
            i = at + 1;
        }
        out
    }

    #[test]
    fn code_marks_only() {
        let cases: &[(&str, &[usize])] = &[
            ("SELECT ?", &[7]),
            ("??", &[0, 1]),
            ("? %", &[0, 2]),
            ("'?' \"?\" `?` ?", &[12]),
            ("'it''s ?' ?", &[10]),
            ("'a\\'?' ?", &[7]),
            ("`a``?` ?", &[7]),
            ("\"a\"\"?\" ?", &[7]),
            ("-- ?\n?", &[5]),
            ("--\t?\n?", &[5]),
            ("--?", &[2]),
            ("SELECT 1--?", &[10]),
            ("-- ?", &[]),
            ("--", &[]),
            ("# ? %s\n?", &[7]),
            ("/* ? */ ?", &[8]),
            ("/* ? ", &[]),
            ("/*+ ? */ ?", &[9]),
            ("/*! ? */", &[4]),
            ("/*!50100 ? */", &[9]),
            ("/*M! ? */", &[5]),
            ("/*M!100100 ? */ /* ? */", &[11]),
            ("'unterminated ?", &[]),
            ("`a ?", &[]),
            ("é ? ü", &[3]),
            ("'é?' ?", &[6]),
        ];
        for (sql, want) in cases {
            assert_eq!(marks(sql, true), *want, "{sql:?}");
        }
    }

    #[test]
    fn backslashes_depend_on_the_mode() {
        // `'a\'` ends the string only without backslash escapes.
        assert_eq!(marks("'a\\' ? '", true), Vec::<usize>::new());
        assert_eq!(marks("'a\\' ? '", false), [5]);
        // A doubled backslash reads the same either way.
        assert_eq!(marks("'a\\\\' ?", true), [6]);
        assert_eq!(marks("'a\\\\' ?", false), [6]);
        let mut saw = false;
        next_mark(b"'\\\\' ?", 0, true, &mut saw);
        assert!(saw);
        let mut saw = false;
        next_mark(b"`\\` '' ?", 0, true, &mut saw);
        assert!(!saw, "no backslash escapes in identifiers");
    }

    #[test]
    fn never_panics_on_truncated_input() {
        for sql in ["'", "\"\\", "`", "#", "-", "--", "/", "/*", "/*!", "/*M", "/*M!", "'\\", "/**"] {
            assert_eq!(marks(sql, true), Vec::<usize>::new(), "{sql:?}");
            marks(sql, false);
        }
    }
}
