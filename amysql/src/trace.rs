//! Observability: one `tracing` span per command with OpenTelemetry database field names
//! (so `tracing-opentelemetry` exports them unchanged), and sqlx-style statement logging
//! (every statement at `debug`, slow ones at `warn`).
//!
//! Cost rules, because these helpers sit on every statement's path:
//! - With no subscriber interested, a span is `Span::none()` after the callsite-interest
//!   check in `info_span!`; field values (the SQL, the operation name, the server
//!   address) are only evaluated inside the macro's enabled branch.
//! - Nothing here runs per row. Row counts are recorded once, when a statement ends.
//! - The statement's clock is read only when a statement log event could be emitted
//!   (`LevelFilter::current()`, one atomic load) or the span is enabled; the per-statement
//!   state is boxed only then, so a `Statement` stays one word larger when unobserved.
//! - Bound values never reach a span or an event: `db.query.text` is the SQL as the
//!   caller wrote it, placeholders unexpanded. (`echo`, off by default, is the one place
//!   formatted SQL is logged, as aiomysql does.)

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use tracing::field::Empty;
use tracing::level_filters::LevelFilter;
use tracing::{Instrument, Level, Span};

use crate::conn::Connection;
use crate::error::Error;
use crate::opts::ConnectOptions;

/// The target of statement log events (sqlx uses `sqlx::query`).
pub const STATEMENT_TARGET: &str = "amysql::query";

/// `tracing::event!` at a level chosen at run time (the macro needs a constant level:
/// one callsite per level).
macro_rules! log_at {
    ($level:expr, $($fields:tt)+) => {
        match $level.into_level() {
            Some(Level::ERROR) => tracing::event!(target: STATEMENT_TARGET, Level::ERROR, $($fields)+),
            Some(Level::WARN) => tracing::event!(target: STATEMENT_TARGET, Level::WARN, $($fields)+),
            Some(Level::INFO) => tracing::event!(target: STATEMENT_TARGET, Level::INFO, $($fields)+),
            Some(Level::DEBUG) => tracing::event!(target: STATEMENT_TARGET, Level::DEBUG, $($fields)+),
            Some(_) => tracing::event!(target: STATEMENT_TARGET, Level::TRACE, $($fields)+),
            None => {}
        }
    };
}

/// What `ConnectOptions::log_statements`, `log_slow_statements` and `trace_query_text`
/// configure.
#[derive(Clone, Debug)]
pub(crate) struct ObsOptions {
    pub(crate) statements: LevelFilter,
    pub(crate) slow: LevelFilter,
    pub(crate) slow_threshold: Duration,
    /// Record `db.query.text` in spans and log events (on by default).
    pub(crate) query_text: bool,
}

impl Default for ObsOptions {
    fn default() -> Self {
        // sqlx's defaults: every statement at DEBUG, over one second at WARN.
        ObsOptions {
            statements: LevelFilter::DEBUG,
            slow: LevelFilter::WARN,
            slow_threshold: Duration::from_secs(1),
            query_text: true,
        }
    }
}

impl ObsOptions {
    /// True when some statement event could be emitted: the global maximum level a
    /// subscriber asked for admits the statement or slow-statement level.
    #[inline]
    fn may_log(&self) -> bool {
        let max = LevelFilter::current();
        (self.statements != LevelFilter::OFF && self.statements <= max)
            || (self.slow != LevelFilter::OFF && self.slow <= max)
    }
}

/// `db.system.name`: `mariadb` or `mysql`.
fn system(conn: &Connection) -> &'static str {
    if conn.is_mariadb() {
        "mariadb"
    } else {
        "mysql"
    }
}

/// `server.address`: the host, or the socket path for a unix socket.
fn address(opts: &ConnectOptions) -> String {
    match &opts.unix_socket {
        Some(p) => p.display().to_string(),
        None => opts.host.clone(),
    }
}

/// `server.port`: none over a unix socket.
fn port(opts: &ConnectOptions) -> Option<u16> {
    opts.unix_socket.is_none().then_some(opts.port)
}

/// `db.operation.name` of a statement: its first keyword, upper-cased (`SELECT`,
/// `INSERT`, ...). Leading comments and whitespace are skipped; `None` when the SQL does
/// not start with a word. Only computed for an enabled span.
pub(crate) fn operation(sql: &str) -> Option<Keyword> {
    let b = sql.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"/*") {
            i = sql[i + 2..].find("*/").map(|e| i + 2 + e + 2)?;
        } else if b[i..].starts_with(b"-- ") || b[i..].starts_with(b"#") {
            i = sql[i..].find('\n').map(|e| i + e + 1)?;
        } else {
            break;
        }
    }
    let end = b[i..].iter().position(|c| !c.is_ascii_alphabetic()).map_or(b.len(), |n| i + n);
    let word = &b[i..end];
    if word.is_empty() || word.len() > Keyword::MAX {
        return None;
    }
    let mut k = Keyword { buf: [0; Keyword::MAX], len: word.len() as u8 };
    for (d, s) in k.buf.iter_mut().zip(word) {
        *d = s.to_ascii_uppercase();
    }
    Some(k)
}

/// An upper-cased SQL keyword, without allocating.
#[derive(Clone, Copy)]
pub(crate) struct Keyword {
    buf: [u8; Keyword::MAX],
    len: u8,
}

impl Keyword {
    const MAX: usize = 16;
    fn as_str(&self) -> &str {
        // ASCII letters only.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `otel.name`: the OTel span name, `{db.operation.name} {db.namespace}` when both are
/// known, else the operation, else the system.
struct OtelName<'a> {
    op: Option<&'a str>,
    ns: Option<&'a str>,
    system: &'static str,
}

impl fmt::Display for OtelName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.op, self.ns) {
            (Some(op), Some(ns)) => write!(f, "{op} {ns}"),
            (Some(op), None) => f.write_str(op),
            _ => f.write_str(self.system),
        }
    }
}

/// Builds a client span named `$name` with the OTel database fields. `$op` is the
/// `db.operation.name` (`Option<&str>`), `$text` the `db.query.text` (`Option<&str>`).
/// Every argument is evaluated only when the span is enabled.
macro_rules! db_span {
    ($name:literal, $conn:expr, $op:expr, $text:expr) => {{
        let conn: &Connection = $conn;
        // Before any subscriber exists, `tracing` (with its `log` feature, which a
        // dependency turns on) evaluates every field value of a disabled span for the
        // `log` fallback: the operation name, the address. Nothing can observe a span
        // then, so it is not built at all (one atomic load).
        if !tracing::dispatcher::has_been_set() {
            return Span::none();
        }
        tracing::info_span!(
            target: "amysql",
            $name,
            otel.kind = "client",
            otel.name = %OtelName { op: $op, ns: conn.opts.db.as_deref(), system: system(conn) },
            db.system.name = system(conn),
            db.namespace = conn.opts.db.as_deref(),
            db.operation.name = $op,
            db.query.text = $text,
            server.address = %address(&conn.opts),
            server.port = port(&conn.opts),
            db.operation.batch.size = Empty,
            db.response.returned_rows = Empty,
            db.response.affected_rows = Empty,
            db.response.status_code = Empty,
            error.type = Empty,
        )
    }};
}

/// Which statement span to open (each is its own callsite, so each can be filtered).
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `execute`, `fetch_all`, `fetch_one`, cursor `execute`.
    Query,
    /// `fetch`: a row stream (the span ends when the stream does).
    Fetch,
}

/// A statement's span, clock and SQL; `None` in `Statement` when nobody observes.
pub(crate) struct Observed<'s> {
    pub(crate) span: Span,
    /// Counts the caller noted (a stream's rows, a cursor's rowcount), used when the
    /// outcome itself says nothing.
    pub(crate) noted: Counts,
    started: Option<Instant>,
    sql: &'s str,
    query_text: bool,
    statements: LevelFilter,
    slow: LevelFilter,
    threshold: Duration,
}

/// Rows a statement returned or affected, when known.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Counts {
    pub(crate) returned: Option<u64>,
    pub(crate) affected: Option<u64>,
}

/// What a statement's outcome says about rows.
pub(crate) trait Counted {
    fn counts(&self) -> Counts {
        Counts::default()
    }
}

impl Counted for () {}
impl Counted for u64 {}
impl<T> Counted for Vec<T> {
    fn counts(&self) -> Counts {
        Counts { returned: Some(self.len() as u64), affected: None }
    }
}
impl<T> Counted for Option<T> {
    fn counts(&self) -> Counts {
        Counts { returned: Some(u64::from(self.is_some())), affected: None }
    }
}
impl Counted for crate::conn::commands::QueryResult {
    fn counts(&self) -> Counts {
        Counts { returned: None, affected: Some(self.rows_affected) }
    }
}

/// Starts observing a statement: `None` (no clock read, no allocation) unless its span is
/// enabled or a statement log event could be emitted.
#[inline]
pub(crate) fn begin<'s>(conn: &Connection, kind: Kind, sql: &'s str) -> Option<Box<Observed<'s>>> {
    // No subscriber was ever set (globally or for a scope): nobody can see a span or an
    // event, and `LevelFilter::current()` does not say OFF yet.
    if !tracing::dispatcher::has_been_set() {
        return None;
    }
    begin_observed(conn, kind, sql)
}

#[cold]
fn begin_observed<'s>(conn: &Connection, kind: Kind, sql: &'s str) -> Option<Box<Observed<'s>>> {
    let obs = &conn.opts.obs;
    let text = obs.query_text.then_some(sql);
    let span = statement_span(conn, kind, sql, text);
    let may_log = obs.may_log();
    if span.is_disabled() && !may_log {
        return None;
    }
    Some(begin_slow(span, may_log, obs, sql))
}

fn statement_span(conn: &Connection, kind: Kind, sql: &str, text: Option<&str>) -> Span {
    match kind {
        Kind::Query => db_span!("query", conn, operation(sql).as_ref().map(Keyword::as_str), text),
        Kind::Fetch => db_span!("fetch", conn, operation(sql).as_ref().map(Keyword::as_str), text),
    }
}

fn begin_slow<'s>(span: Span, may_log: bool, obs: &ObsOptions, sql: &'s str) -> Box<Observed<'s>> {
    Box::new(Observed {
        span,
        noted: Counts::default(),
        started: may_log.then(Instant::now),
        sql,
        query_text: obs.query_text,
        statements: obs.statements,
        slow: obs.slow,
        threshold: obs.slow_threshold,
    })
}

impl Observed<'_> {
    /// Records the outcome on the span and logs the statement.
    pub(crate) fn finish(self, outcome: std::result::Result<Counts, &Error>) {
        // A stream's or a cursor's outcome says nothing: use what they noted.
        let outcome = outcome.map(|c| if c.returned.is_none() && c.affected.is_none() { self.noted } else { c });
        match outcome {
            Ok(c) => record_counts(&self.span, c),
            Err(e) => record_error(&self.span, e),
        }
        let Some(started) = self.started else { return };
        let elapsed = started.elapsed();
        let text = if self.query_text { self.sql } else { "" };
        let counts = outcome.ok().unwrap_or_default();
        let error = outcome.err().map(error_type);
        if self.slow != LevelFilter::OFF && elapsed >= self.threshold {
            log_at!(
                self.slow,
                db.query.text = text,
                rows_returned = counts.returned,
                rows_affected = counts.affected,
                elapsed = ?elapsed,
                elapsed_secs = elapsed.as_secs_f64(),
                slow_threshold = ?self.threshold,
                error.type = error.as_deref(),
                "slow statement"
            );
        } else if self.statements != LevelFilter::OFF {
            log_at!(
                self.statements,
                db.query.text = text,
                rows_returned = counts.returned,
                rows_affected = counts.affected,
                elapsed = ?elapsed,
                elapsed_secs = elapsed.as_secs_f64(),
                error.type = error.as_deref(),
                "statement"
            );
        }
    }
}

/// Records row counts on an ended command's span.
pub(crate) fn record_counts(span: &Span, c: Counts) {
    if let Some(n) = c.returned {
        span.record("db.response.returned_rows", n);
    }
    if let Some(n) = c.affected {
        span.record("db.response.affected_rows", n);
    }
}

/// `error.type`: the MySQL error number for server errors (as OTel asks), otherwise the
/// kind of client-side failure. Never the message (it may quote the statement's values).
pub(crate) fn error_type(e: &Error) -> String {
    match e {
        Error::Server(s) => s.code().to_string(),
        Error::Io { code, .. } => format!("io.{code}"),
        Error::Timeout { .. } => "timeout".into(),
        Error::Protocol(_) => "protocol".into(),
        Error::Tls(_) => "tls".into(),
        Error::Auth(_) => "auth".into(),
        Error::Interface(_) => "interface".into(),
        Error::Programming(_) => "programming".into(),
        Error::Decode(_) => "decode".into(),
        Error::Encode(_) => "encode".into(),
        Error::RowNotFound => "row_not_found".into(),
        Error::NotSupported(_) => "not_supported".into(),
        Error::PoolTimedOut => "pool_timed_out".into(),
        Error::PoolClosed => "pool_closed".into(),
        Error::Broken(_) => "broken".into(),
    }
}

/// Records a failure: `db.response.status_code` (server errors) and `error.type`.
pub(crate) fn record_error(span: &Span, e: &Error) {
    if span.is_disabled() {
        return;
    }
    if let Some(s) = e.as_server() {
        span.record("db.response.status_code", tracing::field::display(s.code()));
    }
    span.record("error.type", error_type(e).as_str());
}

/// Runs a command future in `span`, recording a failure on it. A plain function over
/// combinators, not an `async fn`: an `async fn` would keep its `work` argument and the
/// instrumented copy side by side in its state (rust-lang/rust#62958), doubling the
/// size of every future this sits in, and every call copies that size around.
/// Entering a disabled span is a branch.
pub(crate) fn in_span<T, F>(span: Span, work: F) -> impl Future<Output = crate::Result<T>>
where
    F: Future<Output = crate::Result<T>>,
{
    use futures_util::FutureExt;
    let on_error = span.clone();
    work.instrument(span).map(move |r| {
        if let Err(e) = &r {
            record_error(&on_error, e);
        }
        r
    })
}

/// A span for a command that is not a statement: ping, prepare, executemany, begin,
/// commit, rollback. `text` is SQL as written (prepare, executemany) or `None`.
pub(crate) fn command_span(conn: &Connection, cmd: Command, text: Option<&str>) -> Span {
    let text = text.filter(|_| conn.opts.obs.query_text);
    let op = || text.and_then(operation);
    match cmd {
        Command::Ping => db_span!("ping", conn, Some("PING"), None::<&str>),
        Command::Prepare => db_span!("prepare", conn, Some("PREPARE"), text),
        Command::ExecuteMany => db_span!("executemany", conn, op().as_ref().map(Keyword::as_str), text),
        Command::Begin => db_span!("begin", conn, Some("BEGIN"), text),
        Command::Commit => db_span!("commit", conn, Some("COMMIT"), None::<&str>),
        Command::Rollback => db_span!("rollback", conn, Some("ROLLBACK"), None::<&str>),
    }
}

/// Commands with their own span (see [`command_span`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Command {
    Ping,
    Prepare,
    ExecuteMany,
    Begin,
    Commit,
    Rollback,
}

/// The span of opening a connection (TCP/socket, TLS, authentication, session setup).
/// `db.system.name` is recorded once the server's greeting says which it is.
pub(crate) fn connect_span(opts: &ConnectOptions) -> Span {
    if !tracing::dispatcher::has_been_set() {
        return Span::none();
    }
    tracing::info_span!(
        target: "amysql",
        "connect",
        otel.kind = "client",
        otel.name = "connect",
        db.system.name = Empty,
        db.namespace = opts.db.as_deref(),
        db.operation.name = "CONNECT",
        server.address = %address(opts),
        server.port = port(opts),
        db.response.status_code = Empty,
        error.type = Empty,
    )
}

/// Records on the connect span what the server turned out to be.
pub(crate) fn connected(span: &Span, conn: &Connection) {
    if !span.is_disabled() {
        span.record("db.system.name", system(conn));
    }
}

/// The span of waiting for a pooled connection (`Pool::acquire`).
pub(crate) fn acquire_span(opts: &ConnectOptions) -> Span {
    if !tracing::dispatcher::has_been_set() {
        return Span::none();
    }
    tracing::info_span!(
        target: "amysql",
        "acquire",
        otel.name = "acquire",
        db.namespace = opts.db.as_deref(),
        server.address = %address(opts),
        server.port = port(opts),
        error.type = Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(sql: &str) -> Option<String> {
        operation(sql).map(|k| k.to_string())
    }

    #[test]
    fn operation_is_the_first_keyword() {
        assert_eq!(op("select 1").as_deref(), Some("SELECT"));
        assert_eq!(op("  \n\tInsert INTO t VALUES (%s)").as_deref(), Some("INSERT"));
        assert_eq!(op("/* hint */ UPDATE t SET a = 1").as_deref(), Some("UPDATE"));
        assert_eq!(op("-- c\nDELETE FROM t").as_deref(), Some("DELETE"));
        assert_eq!(op("# c\nWITH x AS (SELECT 1) SELECT * FROM x").as_deref(), Some("WITH"));
        assert_eq!(op("(SELECT 1)"), None);
        assert_eq!(op(""), None);
        assert_eq!(op("   "), None);
        assert_eq!(op("/* unterminated"), None);
        assert_eq!(op("-- no newline"), None);
        assert_eq!(op("averyveryverylongwordthatisnotakeyword"), None);
    }

    #[test]
    fn otel_name() {
        let n = |op, ns| OtelName { op, ns, system: "mariadb" }.to_string();
        assert_eq!(n(Some("SELECT"), Some("shop")), "SELECT shop");
        assert_eq!(n(Some("SELECT"), None), "SELECT");
        assert_eq!(n(None, Some("shop")), "mariadb");
    }
}
