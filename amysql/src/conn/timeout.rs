//! Statement timeouts: the server-side limit spliced into the SQL, the client-side
//! deadline that backs it up, and what happens when that deadline passes.
//!
//! One statement (a typed query, a cursor's `execute`) runs as
//! `begin_statement` → [`bounded`] (send, `arm_kill_on_drop`, read) → `end_statement`.
//! With no timeout and no `kill_on_drop` (the defaults) that is two branches and no
//! allocation: [`Statement`] is then empty, `bounded` awaits the work as is, and the SQL
//! goes out untouched.
//!
//! The server's limit comes first where the server has one, at no extra round trip:
//! MariaDB (10.1+) runs the statement as `SET STATEMENT max_statement_time=<s> FOR ..`
//! (only the first statement of a multi-statement query is covered), MySQL (5.7.8+)
//! honours `/*+ MAX_EXECUTION_TIME(<ms>) */` after a leading `SELECT` (and nothing
//! else). Its error (1969 / 3024) becomes `Error::Timeout`. The client's deadline then
//! waits [`margin`] longer, so that it normally only fires for what the server does not
//! cover; where the server has no limit it fires at the timeout itself. When it fires,
//! `KILL QUERY` goes over a side connection (`kill.rs`) and the killed statement's
//! response is read, so the connection stays in step and usable.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::kill::{self, KillOnDrop};
use super::Connection;
use crate::error::{timeout_what, Error, Result};

/// How long the side connection may take to deliver a `KILL QUERY`, and then the killed
/// statement to answer, before the connection is given up on.
pub(crate) const KILL_BOUND: Duration = Duration::from_secs(10);

/// Largest `max_statement_time` MariaDB accepts (one year, in seconds).
const MARIADB_MAX_SECONDS: u64 = 31_536_000;

/// How much later than the server's limit the client's deadline fires: enough for the
/// server's own error to arrive first (it checks its timer between rows, and a loaded
/// server answers late), short next to the limit.
fn margin(limit: Duration) -> Duration {
    Duration::from_millis(250) + limit / 10
}

/// The limit in whole milliseconds, rounded up and at least 1: for both servers a 0
/// means "no limit", which a 100 µs timeout must not turn into.
fn ceil_millis(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX).max(1)
}

/// Text that tells the server a statement's time limit, and where in the SQL it goes.
/// Built in a fixed buffer: a timed statement costs no allocation for it.
#[derive(Clone, Copy)]
pub(crate) struct Injection {
    /// Byte offset in the SQL: 0 for MariaDB's prefix, after `SELECT` for MySQL's hint.
    at: usize,
    buf: [u8; 64],
    len: u8,
}

impl Injection {
    fn new(at: usize, parts: &[&[u8]]) -> Injection {
        let mut inj = Injection { at, buf: [0; 64], len: 0 };
        for p in parts {
            let start = usize::from(inj.len);
            // The parts are fixed words and clamped numbers: well under 64 bytes.
            inj.buf[start..start + p.len()].copy_from_slice(p);
            inj.len += p.len() as u8;
        }
        inj
    }

    /// `SET STATEMENT max_statement_time=<s.mmm> FOR ` before the statement.
    pub(crate) fn mariadb(limit: Duration) -> Injection {
        let ms = ceil_millis(limit).min(MARIADB_MAX_SECONDS * 1000);
        let mut secs = itoa::Buffer::new();
        let frac = ms % 1000;
        let frac = [b'.', b'0' + (frac / 100) as u8, b'0' + (frac / 10 % 10) as u8, b'0' + (frac % 10) as u8];
        Injection::new(0, &[b"SET STATEMENT max_statement_time=", secs.format(ms / 1000).as_bytes(), &frac, b" FOR "])
    }

    /// ` /*+ MAX_EXECUTION_TIME(<ms>) */` after a leading `SELECT`; `None` for any other
    /// statement (MySQL ignores the hint elsewhere, and it would have to be placed after
    /// the first keyword of each statement type).
    pub(crate) fn mysql(sql: &str, limit: Duration) -> Option<Injection> {
        let at = leading_select(sql.as_bytes())?;
        let ms = ceil_millis(limit).min(u64::from(u32::MAX));
        let mut n = itoa::Buffer::new();
        Some(Injection::new(at, &[b" /*+ MAX_EXECUTION_TIME(", n.format(ms).as_bytes(), b") */"]))
    }

    pub(crate) fn text(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The SQL before and after the injection point.
    pub(crate) fn split<'s>(&self, sql: &'s str) -> (&'s str, &'s str) {
        // `at` is 0 or the end of an ASCII keyword of this same SQL: a char boundary.
        sql.split_at(self.at.min(sql.len()))
    }

    /// Bytes of injected text in front of the caller's SQL (what the charset scan skips).
    pub(crate) fn prefix_len(&self) -> usize {
        if self.at == 0 {
            usize::from(self.len)
        } else {
            0
        }
    }

    /// The SQL with the injection in place (the prepared path's cache key and the text it
    /// prepares), written into `out`.
    pub(crate) fn write_into(&self, sql: &str, out: &mut String) {
        let (head, tail) = self.split(sql);
        out.clear();
        out.push_str(head);
        // The parts are ASCII.
        out.push_str(std::str::from_utf8(self.text()).unwrap_or_default());
        out.push_str(tail);
    }
}

/// The end of a leading `SELECT` keyword (after leading whitespace), if `sql` starts so.
fn leading_select(sql: &[u8]) -> Option<usize> {
    let start = sql.iter().position(|b| !b.is_ascii_whitespace())?;
    let end = start + 6;
    let word = sql.get(start..end)?;
    let next_is_word = sql.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$');
    (word.eq_ignore_ascii_case(b"select") && !next_is_word).then_some(end)
}

/// A statement's timeout: what the caller asked for, when the client gives up, and what
/// the server is told.
#[derive(Clone, Copy)]
struct Timed {
    after: Duration,
    deadline: Instant,
    injection: Option<Injection>,
}

/// What one statement runs under (see the module docs). Dropping it while armed for
/// `kill_on_drop` kills the statement in the background.
#[must_use]
pub(crate) struct Statement<'s> {
    timed: Option<Timed>,
    kill: Option<KillOnDrop>,
    /// Its span and log clock (trace.rs); `None` while nobody observes.
    obs: Option<Box<crate::trace::Observed<'s>>>,
}

impl<'s> Statement<'s> {
    /// The statement's span, when enabled, to run its work in (see `trace::within`).
    #[inline]
    pub(crate) fn span(&self) -> Option<tracing::Span> {
        match &self.obs {
            Some(o) if !o.span.is_disabled() => Some(o.span.clone()),
            _ => None,
        }
    }

    /// A streamed row was read (the span reports the count at the end).
    #[inline]
    pub(crate) fn row_seen(&mut self) {
        if let Some(o) = &mut self.obs {
            *o.noted.returned.get_or_insert(0) += 1;
        }
    }

    /// Row counts known to the caller rather than to the outcome (a cursor's).
    #[inline]
    pub(crate) fn note_counts(&mut self, counts: crate::trace::Counts) {
        if let Some(o) = &mut self.obs {
            o.noted = counts;
        }
    }

    /// True when nothing is attached to the statement: no timeout and nobody observing
    /// (with `kill_on_drop` off too, callers take the plain send-then-read).
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.timed.is_none() && self.obs.is_none()
    }

    /// When the client-side deadline passes, if there is one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.timed.as_ref().map(|t| t.deadline)
    }

    /// What to splice into the SQL, if anything.
    pub(crate) fn injection(&self) -> Option<Injection> {
        self.timed.as_ref().and_then(|t| t.injection)
    }
}

/// Runs `work` until `deadline`; `None` when the deadline passed first (`work` is then
/// dropped where it stood, which the connection's state machine allows for).
#[inline]
pub(crate) async fn bounded<T>(deadline: Option<Instant>, work: impl Future<Output = Result<T>>) -> Option<Result<T>> {
    match deadline {
        None => Some(work.await),
        Some(at) => tokio::time::timeout_at(at, work).await.ok(),
    }
}

impl Connection {
    /// Starts a statement: its timeout is `per_query` (zero: none) or else the
    /// connection's `statement_timeout`.
    #[inline]
    pub(crate) fn begin_statement<'s>(
        &self,
        per_query: Option<Duration>,
        sql: &'s str,
        kind: crate::trace::Kind,
    ) -> Statement<'s> {
        // The default (no timeout anywhere) computes nothing.
        let timed = if per_query.is_none() && self.opts.statement_timeout.is_none() {
            None
        } else {
            self.timed_part(per_query, sql)
        };
        Statement { timed, kill: None, obs: crate::trace::begin(self, kind, sql) }
    }

    #[inline(never)]
    fn timed_part(&self, per_query: Option<Duration>, sql: &str) -> Option<Timed> {
        let after = per_query.or(self.opts.statement_timeout).filter(|d| !d.is_zero())?;
        let injection = if self.is_mariadb() { Some(Injection::mariadb(after)) } else { Injection::mysql(sql, after) };
        let wait = if injection.is_some() { after.saturating_add(margin(after)) } else { after };
        let now = Instant::now();
        // A deadline past what the clock can hold is no deadline at all.
        let deadline = now.checked_add(wait).unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
        Some(Timed { after, deadline, injection })
    }

    /// Called once the statement is sent: with `kill_on_drop`, from now until
    /// `end_statement` a dropped `st` kills it.
    #[inline]
    pub(crate) fn arm_kill_on_drop(&mut self, st: &mut Statement<'_>) {
        if self.opts.kill_on_drop {
            let (guard, done) = KillOnDrop::new(&self.opts, self.thread_id());
            self.kill_wait = Some(done);
            st.kill = Some(guard);
        }
    }

    /// Ends a statement with the outcome of [`bounded`]: the server's timeout error and
    /// a passed deadline become `Error::Timeout`.
    pub(crate) async fn end_statement<T: crate::trace::Counted>(
        &mut self,
        st: Statement<'_>,
        outcome: Option<Result<T>>,
    ) -> Result<T> {
        let r = match (outcome, &st.timed) {
            (Some(Err(e)), Some(t)) if matches!(e.as_server().map(|s| s.code()), Some(1969 | 3024)) => {
                Err(Error::Timeout { what: timeout_what::STOPPED, after: t.after })
            }
            (Some(r), _) => r,
            // Still armed meanwhile: if this future is dropped too, the kill goes on.
            (None, Some(t)) => Err(self.stop_timed_out(t.after).await),
            (None, None) => Err(Error::Interface("statement ended without an outcome".into())),
        };
        if let Some(guard) = st.kill {
            guard.disarm();
            self.kill_wait = None;
        }
        if let Some(obs) = st.obs {
            obs.finish(r.as_ref().map(crate::trace::Counted::counts));
        }
        r
    }

    /// The client-side deadline passed: kill what the server is still running for this
    /// connection and read its response, or give the connection up.
    #[cold]
    async fn stop_timed_out(&mut self, after: Duration) -> Error {
        if self.io.unflushed() > 0 {
            // The command is not even sent after all this time: the network is stuck.
            self.broken = Some("a statement timed out while it was being sent".into());
            return Error::Timeout { what: timeout_what::CLOSED, after };
        }
        if self.is_idle() {
            return Error::Timeout { what: timeout_what::EXPIRED, after };
        }
        let stopped = async {
            match tokio::time::timeout(KILL_BOUND, kill::kill_query(&self.opts, self.thread_id())).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(format!("KILL QUERY failed: {e}")),
                Err(_) => return Err(format!("KILL QUERY took longer than {KILL_BOUND:?}")),
            }
            // The killed statement answers with an error (1317), which the drain reads.
            match tokio::time::timeout(KILL_BOUND, self.drain()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("reading the killed statement's response failed: {e}")),
                Err(_) => Err(format!("the killed statement did not answer within {KILL_BOUND:?}")),
            }
        };
        match stopped.await {
            Ok(()) => Error::Timeout { what: timeout_what::KILLED, after },
            Err(reason) => {
                tracing::warn!(thread_id = self.thread_id(), %reason, "timed-out statement not stopped; closing the connection");
                if self.broken.is_none() {
                    self.broken = Some(format!("a timed-out statement could not be stopped: {reason}"));
                }
                Error::Timeout { what: timeout_what::CLOSED, after }
            }
        }
    }

    /// The prepared path with the server-side limit in the SQL: the text with the
    /// injection is what is prepared and what the cache is keyed by (so a statement
    /// prepared with one limit is never run under another). The key is built in a buffer
    /// the connection keeps.
    pub(crate) async fn send_prepared_injected<P: crate::value::Params + ?Sized>(
        &mut self,
        sql: &str,
        injection: &Injection,
        params: &P,
    ) -> Result<bool> {
        let mut key = std::mem::take(&mut self.timed_sql);
        injection.write_into(sql, &mut key);
        let r = self.send_prepared(&key, params).await;
        self.timed_sql = key;
        r
    }

    /// COM_QUERY of `sql` formatted by `write` (which gets the SQL to format), with the
    /// injection, if any, in place.
    pub(crate) async fn send_text_timed(
        &mut self,
        sql: &str,
        injection: Option<&Injection>,
        write: impl FnOnce(&str, &mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        match injection {
            None => self.send_query_with(|buf| write(sql, buf)).await,
            Some(inj) => {
                let (head, tail) = inj.split(sql);
                // The charset scan reads the caller's statement, not the prefix: `SET
                // STATEMENT .. FOR SET NAMES x` still changes the charset.
                self.send_query_scanned(inj.prefix_len(), |buf| {
                    buf.extend_from_slice(head.as_bytes());
                    buf.extend_from_slice(inj.text());
                    write(tail, buf)
                })
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(i: &Injection) -> &str {
        std::str::from_utf8(i.text()).unwrap()
    }

    #[test]
    fn mariadb_prefix() {
        let i = Injection::mariadb(Duration::from_millis(200));
        assert_eq!(text(&i), "SET STATEMENT max_statement_time=0.200 FOR ");
        assert_eq!(i.prefix_len(), i.text().len());
        assert_eq!(i.split("SELECT 1"), ("", "SELECT 1"));
        let mut s = String::new();
        i.write_into("SELECT 1", &mut s);
        assert_eq!(s, "SET STATEMENT max_statement_time=0.200 FOR SELECT 1");
        // Rounded up, never 0 (which would mean no limit).
        assert_eq!(text(&Injection::mariadb(Duration::from_micros(1))), "SET STATEMENT max_statement_time=0.001 FOR ");
        assert_eq!(text(&Injection::mariadb(Duration::from_secs(75))), "SET STATEMENT max_statement_time=75.000 FOR ");
        assert_eq!(
            text(&Injection::mariadb(Duration::from_millis(1_234_567))),
            "SET STATEMENT max_statement_time=1234.567 FOR "
        );
        // Clamped to what the server accepts.
        assert_eq!(text(&Injection::mariadb(Duration::MAX)), "SET STATEMENT max_statement_time=31536000.000 FOR ");
    }

    #[test]
    fn mysql_hint_only_after_select() {
        let i = Injection::mysql("  select * from t", Duration::from_millis(1500)).unwrap();
        assert_eq!(text(&i), " /*+ MAX_EXECUTION_TIME(1500) */");
        assert_eq!(i.prefix_len(), 0);
        let mut s = String::new();
        i.write_into("  select * from t", &mut s);
        assert_eq!(s, "  select /*+ MAX_EXECUTION_TIME(1500) */ * from t");
        assert!(Injection::mysql("SELECT(1)", Duration::from_secs(1)).is_some());
        assert!(Injection::mysql("SELECT", Duration::from_secs(1)).is_some());
        for sql in ["UPDATE t SET a=1", "SELECTED", "select_x", "(SELECT 1)", "/* c */ SELECT 1", "", "   ", "sel"] {
            assert!(Injection::mysql(sql, Duration::from_secs(1)).is_none(), "{sql}");
        }
        let big = Injection::mysql("SELECT 1", Duration::MAX).unwrap();
        assert_eq!(text(&big), " /*+ MAX_EXECUTION_TIME(4294967295) */");
        // A multibyte character right after the keyword: still a char boundary.
        let i = Injection::mysql("SELECT\u{a0}1", Duration::from_secs(1));
        assert!(i.is_some());
    }

    #[test]
    fn client_deadline_waits_for_the_server_first() {
        assert!(margin(Duration::from_millis(200)) >= Duration::from_millis(250));
        assert_eq!(margin(Duration::from_secs(30)), Duration::from_millis(3250));
        assert_eq!(ceil_millis(Duration::ZERO), 1);
        assert_eq!(ceil_millis(Duration::from_nanos(1_000_001)), 2);
    }
}
