//! PyMySQL's grammar: `%s`, `%(name)s`, `%%`; any other `%` is an error. Applied to the
//! whole text, string literals included (as Python's `%` operator does), so SQL ported
//! from aiomysql keeps its meaning.

use crate::{Piece, ScanError};

/// The end of a well-formed `%s` or `%(name)s` starting at `b[at]` (a `%`).
pub(crate) fn placeholder_end(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at + 1)? {
        b's' => Some(at + 2),
        b'(' => {
            let close = b[at + 2..].iter().position(|&c| c == b')')?;
            let after = at + 2 + close + 1;
            (close > 0 && b.get(after) == Some(&b's')).then_some(after + 1)
        }
        _ => None,
    }
}

/// The piece at `*pos`; on an error `*pos` moves to the end, so the error is the last item.
/// Inline (the runtime formats every text query through it, from another crate): the
/// common pieces — a literal run, `%s` — are handled here, the rest out of line.
#[inline]
pub(crate) fn next<'a>(sql: &'a str, pos: &mut usize) -> Option<Result<Piece<'a>, ScanError>> {
    let bytes = sql.as_bytes();
    let at = *pos;
    if at >= bytes.len() {
        return None;
    }
    let Some(off) = bytes[at..].iter().position(|&b| b == b'%') else {
        *pos = bytes.len();
        return Some(Ok(Piece::Literal(&sql[at..])));
    };
    if off > 0 {
        *pos = at + off;
        return Some(Ok(Piece::Literal(&sql[at..at + off])));
    }
    if bytes.get(at + 1) == Some(&b's') {
        *pos = at + 2;
        return Some(Ok(Piece::Positional));
    }
    other(sql, pos)
}

/// A `%` that is not `%s`: `%%`, `%(name)s`, or an error.
#[inline(never)]
fn other<'a>(sql: &'a str, pos: &mut usize) -> Option<Result<Piece<'a>, ScanError>> {
    let bytes = sql.as_bytes();
    let at = *pos;
    let mut fail = |msg: String| {
        *pos = bytes.len();
        Some(Err(ScanError(msg)))
    };
    match bytes.get(at + 1) {
        Some(b's') => {
            *pos = at + 2;
            Some(Ok(Piece::Positional))
        }
        Some(b'%') => {
            *pos = at + 2;
            Some(Ok(Piece::Literal(&sql[at..at + 1])))
        }
        Some(b'(') => {
            let Some(close) = bytes[at + 2..].iter().position(|&b| b == b')') else {
                return fail(format!("unterminated %( placeholder at byte {at}: expected %(name)s"));
            };
            let name = &sql[at + 2..at + 2 + close];
            let after = at + 2 + close + 1;
            if bytes.get(after) != Some(&b's') {
                return fail(format!("invalid placeholder %({name}) at byte {at}: only %(name)s is supported"));
            }
            if name.is_empty() {
                return fail(format!("empty parameter name in %()s at byte {at}"));
            }
            *pos = after + 1;
            Some(Ok(Piece::Named(name)))
        }
        None => fail(format!("lone % at the end of the query (byte {at}); write %% for a literal %")),
        Some(_) => {
            let c = sql[at + 1..].chars().next().unwrap_or('?');
            fail(format!(
                "invalid placeholder %{c} at byte {at}: only %s, %(name)s and %% (a literal %) are allowed; \
                 or use ? placeholders, with which % is literal"
            ))
        }
    }
}
