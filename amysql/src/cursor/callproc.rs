//! `callproc`: PyMySQL's stored-procedure convention.
//!
//! Each argument goes into a server variable `@_<procname>_<n>` and the procedure is
//! called with those variables, so OUT and INOUT values can be read afterwards with
//! `SELECT @_<procname>_<n>` once the procedure's result sets have been consumed.
//!
//! The name is never written into the SQL as given: with multi-statements on, a name such
//! as `p(); DROP TABLE users; -- ` would otherwise run the DROP. [`quote_proc_name`] turns
//! it into one backtick-quoted identifier (or `db`.`proc`), and the variables are written
//! as backtick-quoted identifiers too, so no byte of the name can end either.

use super::generic::GenericCursor;
use super::kind::{Buffering, CursorRow};
use crate::conn::result::ResultHead;
use crate::error::{Error, Result};
use crate::protocol::constants::capability;
use crate::row::Row;
use crate::value::{Params, Value};

/// The procedure name as it goes after `CALL`: one identifier or `db.proc`, each part
/// backtick-quoted.
///
/// The name is split on `.` outside backticks into one or two parts. A part that starts
/// with a backtick is taken as already quoted: it must be one well-formed quoted
/// identifier (inner backticks doubled, closed by a backtick that is the end of the part)
/// and is used as it is. Any other part is quoted here, its backticks doubled, so
/// `my proc` and `a``b` name exactly the procedures `` `my proc` `` and `` `a``b` ``.
/// Empty names or parts, more than two parts, a malformed quoted part, and control
/// characters (NUL included) are refused before anything is sent: none of them can name
/// a procedure, and refusing them keeps every byte of the name inside a quoted identifier.
pub(crate) fn quote_proc_name(name: &str) -> Result<String> {
    let bad = |why: &str| Err(Error::Programming(format!("callproc: invalid procedure name ({why})")));
    if name.is_empty() {
        return bad("empty");
    }
    if name.chars().any(char::is_control) {
        return bad("control character");
    }
    let mut out = String::with_capacity(name.len() + 6);
    let mut rest = name;
    for part_no in 0.. {
        if part_no == 2 {
            return bad("more than two dot-separated parts");
        }
        if part_no > 0 {
            out.push('.');
        }
        let (part_len, quoted) = if rest.starts_with('`') {
            match quoted_part_len(rest) {
                Some(len) => (len, true),
                None => return bad("unterminated quoted part"),
            }
        } else {
            (rest.find('.').unwrap_or(rest.len()), false)
        };
        let part = &rest[..part_len];
        // `` `` `` (a quoted empty identifier) is as empty as an unquoted empty part.
        if part.is_empty() || part == "``" {
            return bad("empty part");
        }
        if quoted {
            out.push_str(part);
        } else {
            out.push('`');
            out.push_str(&part.replace('`', "``"));
            out.push('`');
        }
        rest = &rest[part_len..];
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None if rest.is_empty() => break,
            // Only a quoted part can stop before a `.` or the end: `` `a`b ``.
            None => return bad("text after a quoted part"),
        }
    }
    Ok(out)
}

/// The byte length of the quoted identifier at the start of `s` (which starts with a
/// backtick), closing backtick included; `None` if it is never closed.
fn quoted_part_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            if bytes.get(i + 1) == Some(&b'`') {
                i += 2; // a doubled backtick inside the identifier
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// `@`_name_n``: backquoted, so procedure names with dots (`db.proc`) or other
/// characters still make valid variable names. `SELECT @_myproc_0` reads the same
/// variable as `SELECT @`_myproc_0``.
fn push_var(out: &mut Vec<u8>, name: &str, index: usize) {
    out.extend_from_slice(b"@`_");
    out.extend_from_slice(name.replace('`', "``").as_bytes());
    out.push(b'_');
    out.extend_from_slice(index.to_string().as_bytes());
    out.push(b'`');
}

impl<R: CursorRow, B: Buffering> GenericCursor<'_, R, B> {
    /// Calls stored procedure `name` with positional `args` (PyMySQL's `callproc`).
    ///
    /// Sends `SET @_name_0=..., ...`, `SELECT` of those variables and `CALL
    /// name(@_name_0, ...)` (in one round trip when multi-statements are on) and returns
    /// the arguments as the server stored them. The cursor is then on the procedure's
    /// first result set; use `nextset()` for the others (the last one is the CALL's own
    /// empty result).
    pub async fn callproc<P: Params>(&mut self, name: &str, args: P) -> Result<Vec<Value>> {
        let count = args
            .positional_len()
            .ok_or_else(|| Error::Interface("callproc takes positional arguments, not named ones".into()))?;
        let quoted_name = quote_proc_name(name)?;
        let ctx = self.core.conn.format_context();
        let vars = |out: &mut Vec<u8>| {
            for i in 0..count {
                if i > 0 {
                    out.push(b',');
                }
                push_var(out, name, i);
            }
        };
        let set = |out: &mut Vec<u8>| -> Result<()> {
            out.extend_from_slice(b"SET ");
            for i in 0..count {
                if i > 0 {
                    out.push(b',');
                }
                push_var(out, name, i);
                out.push(b'=');
                args.write_positional(i, out, &ctx)?;
            }
            Ok(())
        };
        let select = |out: &mut Vec<u8>| {
            out.extend_from_slice(b"SELECT ");
            vars(out);
        };
        let call = |out: &mut Vec<u8>| {
            out.extend_from_slice(b"CALL ");
            out.extend_from_slice(quoted_name.as_bytes());
            out.push(b'(');
            vars(out);
            out.push(b')');
        };

        self.core.begin_result();
        let mut stored = Vec::new();
        let one_trip = self.core.conn.caps & capability::MULTI_STATEMENTS != 0;
        if count > 0 && one_trip {
            self.core
                .conn
                .send_query_with(|out| {
                    set(out)?;
                    out.push(b';');
                    select(out);
                    out.push(b';');
                    call(out);
                    Ok(())
                })
                .await?;
            self.core.conn.read_result_head().await?; // the SET's OK
            stored = self.read_stored_args().await?;
        } else {
            if count > 0 {
                self.core.conn.send_query_with(set).await?;
                self.core.conn.read_result_head().await?;
                self.core
                    .conn
                    .send_query_with(|out| {
                        select(out);
                        Ok(())
                    })
                    .await?;
                stored = self.read_stored_args().await?;
            }
            self.core
                .conn
                .send_query_with(|out| {
                    call(out);
                    Ok(())
                })
                .await?;
        }
        self.core.read_result().await?;
        Ok(stored)
    }

    /// Reads the one-row result of the `SELECT @_name_0, ...`.
    async fn read_stored_args(&mut self) -> Result<Vec<Value>> {
        let ResultHead::Rows(columns) = self.core.conn.read_result_head().await? else {
            return Err(Error::protocol("callproc: the SELECT of the arguments returned no rows"));
        };
        let mut values = Vec::new();
        while let Some(packet) = self.core.conn.next_row_packet().await? {
            let row = Row::from_packet(columns.clone(), packet, &mut self.core.scratch);
            values = row.map_err(|e| self.core.conn.fail(e))?.into_values();
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(name: &str) -> String {
        quote_proc_name(name).unwrap_or_else(|e| panic!("{name:?}: {e}"))
    }

    #[test]
    fn plain_and_dotted_names_are_quoted() {
        assert_eq!(quoted("myproc"), "`myproc`");
        assert_eq!(quoted("db.proc"), "`db`.`proc`");
        assert_eq!(quoted("my proc"), "`my proc`");
        assert_eq!(quoted("a`b"), "`a``b`");
    }

    #[test]
    fn hostile_name_stays_inside_one_identifier() {
        assert_eq!(quoted("p(); DROP TABLE users; -- "), "`p(); DROP TABLE users; -- `");
        assert_eq!(quoted("p`(); DROP TABLE users; -- "), "`p``(); DROP TABLE users; -- `");
        // A dot splits, but each side is still quoted whole.
        assert_eq!(quoted("x.p(); DROP TABLE t; -- "), "`x`.`p(); DROP TABLE t; -- `");
    }

    #[test]
    fn well_formed_quoted_parts_are_kept() {
        assert_eq!(quoted("`db`.`proc`"), "`db`.`proc`");
        assert_eq!(quoted("`my.db`.proc"), "`my.db`.`proc`");
        assert_eq!(quoted("db.`a``b`"), "`db`.`a``b`");
        assert_eq!(quoted("`a``.b`"), "`a``.b`");
    }

    #[test]
    fn malformed_names_are_errors() {
        for name in [
            "",
            ".",
            "db.",
            ".proc",
            "a.b.c",
            "``",
            "db.``",
            "`unterminated",
            "`a``",
            "`a`b",
            "`a`.`b`c",
            "`a`; DROP TABLE t",
            "p\0",
            "p\n",
            "p\r; DROP TABLE t",
            "p\u{85}",
        ] {
            let e = quote_proc_name(name).unwrap_err();
            assert!(matches!(e, Error::Programming(_)), "{name:?}: {e:?}");
            assert!(e.to_string().contains("invalid procedure name"), "{name:?}: {e}");
        }
    }

    #[test]
    fn variables_stay_quoted_whatever_the_name() {
        let mut out = Vec::new();
        push_var(&mut out, "p`; DROP TABLE t; -- ", 3);
        assert_eq!(out, b"@`_p``; DROP TABLE t; -- _3`");
    }
}
