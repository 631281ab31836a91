//! `callproc`: PyMySQL's stored-procedure convention.
//!
//! Each argument goes into a server variable `@_<procname>_<n>` and the procedure is
//! called with those variables, so OUT and INOUT values can be read afterwards with
//! `SELECT @_<procname>_<n>` once the procedure's result sets have been consumed.

use super::generic::GenericCursor;
use super::kind::{Buffering, CursorRow};
use crate::conn::result::ResultHead;
use crate::error::{Error, Result};
use crate::protocol::constants::capability;
use crate::row::Row;
use crate::value::{Params, Value};

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
            out.extend_from_slice(name.as_bytes());
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
