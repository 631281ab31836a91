//! The one public error type.
//!
//! Server errors keep code, SQLSTATE and message; client-side failures are grouped by what
//! the caller can do about them. `ErrorKind` maps both onto the DB-API exception classes
//! that aiomysql/PyMySQL users know (OperationalError, ProgrammingError, ...).

use std::fmt;
use std::sync::Arc;

/// Result alias used throughout amysql.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// DB-API exception classes (PEP 249), as PyMySQL assigns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Misuse of the client interface (closed connection, bad URL, wrong arity).
    Interface,
    /// Database operation problems not under the programmer's control (lost connection,
    /// access denied, timeouts, deadlocks).
    Operational,
    /// SQL syntax errors, unknown tables, wrong number of parameters.
    Programming,
    /// Constraint violations (duplicate key, foreign key).
    Integrity,
    /// Bad data: out of range values, undecodable columns, division by zero.
    Data,
    /// The operation is not supported (e.g. scrolling an SSCursor backwards).
    NotSupported,
    /// The client or server is in an unexpected internal state (malformed packets).
    Internal,
}

/// An error reported by the server in an ERR packet.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerError {
    code: u16,
    sqlstate: Option<String>,
    message: String,
}

impl ServerError {
    /// Builds a server error (used by the protocol decoder and by tests).
    pub fn new(code: u16, sqlstate: Option<String>, message: impl Into<String>) -> Self {
        ServerError { code, sqlstate, message: message.into() }
    }
    /// The MySQL error number, e.g. 1045 for access denied.
    pub fn code(&self) -> u16 {
        self.code
    }
    /// The five-character SQLSTATE, when the server sent one.
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }
    /// The server's human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The DB-API class of this error, following PyMySQL's `err.py` tables.
    pub fn kind(&self) -> ErrorKind {
        server_error_kind(self.code, self.sqlstate.as_deref())
    }
}

impl fmt::Debug for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(state) => write!(f, "({}, {}) {}", self.code, state, self.message),
            None => write!(f, "({}) {}", self.code, self.message),
        }
    }
}

impl std::error::Error for ServerError {}

/// Maps server error numbers onto DB-API classes the way PyMySQL does: a few explicit
/// tables, then SQLSTATE class fallbacks, then Operational for anything else (>= 1000) and
/// Internal below that.
fn server_error_kind(code: u16, sqlstate: Option<&str>) -> ErrorKind {
    match code {
        // ER_DB_CREATE_EXISTS, ER_SYNTAX_ERROR, ER_PARSE_ERROR, ER_NO_SUCH_TABLE,
        // ER_WRONG_DB_NAME, ER_WRONG_TABLE_NAME, ER_FIELD_SPECIFIED_TWICE, ER_INVALID_GROUP_FUNC_USE,
        // ER_UNSUPPORTED_EXTENSION, ER_TABLE_MUST_HAVE_COLUMNS, ER_CANT_DO_THIS_DURING_AN_TRANSACTION,
        // ER_WRONG_DB_NAME, ER_WRONG_COLUMN_NAME, ER_BAD_FIELD_ERROR, ER_TABLE_EXISTS_ERROR
        1007 | 1149 | 1064 | 1146 | 1102 | 1103 | 1110 | 1111 | 1112 | 1113 | 1179 | 1166 | 1054 | 1050 => {
            ErrorKind::Programming
        }
        // ER_WARN_DATA_TRUNCATED, ER_WARN_NULL_TO_NOTNULL, ER_WARN_DATA_OUT_OF_RANGE,
        // ER_NO_DEFAULT, ER_PRIMARY_CANT_HAVE_NULL, ER_DATA_TOO_LONG, ER_DATETIME_FUNCTION_OVERFLOW,
        // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, ER_ILLEGAL_VALUE_FOR_TYPE, ER_DIVISION_BY_ZERO
        1265 | 1263 | 1264 | 1364 | 1171 | 1406 | 1441 | 1366 | 1367 | 1365 => ErrorKind::Data,
        // ER_DUP_ENTRY, ER_NO_REFERENCED_ROW, ER_NO_REFERENCED_ROW_2, ER_ROW_IS_REFERENCED,
        // ER_ROW_IS_REFERENCED_2, ER_CANNOT_ADD_FOREIGN, ER_BAD_NULL_ERROR, ER_DUP_ENTRY_WITH_KEY_NAME
        1062 | 1452 | 1216 | 1217 | 1451 | 1215 | 1048 | 1586 | 1557 => ErrorKind::Integrity,
        // ER_WARNING_NOT_COMPLETE_ROLLBACK, ER_NOT_SUPPORTED_YET, ER_FEATURE_DISABLED,
        // ER_UNKNOWN_STORAGE_ENGINE
        1196 | 1235 | 1289 | 1286 => ErrorKind::NotSupported,
        // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, deadlock, lock wait timeout, ...
        1045 | 1044 | 1213 | 1205 | 1049 | 1040 | 1053 => ErrorKind::Operational,
        _ => match sqlstate.map(|s| s.get(..2).unwrap_or(s)) {
            Some("23") => ErrorKind::Integrity,
            Some("22") => ErrorKind::Data,
            Some("42") => ErrorKind::Programming,
            _ if code < 1000 => ErrorKind::Internal,
            _ => ErrorKind::Operational,
        },
    }
}

/// Client-side error codes (CR_*) as libmysqlclient numbers them, so that code written
/// against `(2013, ...)` in Python finds the same numbers here.
pub mod client_code {
    /// CR_CONNECTION_ERROR / can't connect via socket.
    pub const CONNECTION_ERROR: u16 = 2002;
    /// CR_CONN_HOST_ERROR: can't connect to server on host.
    pub const CONN_HOST_ERROR: u16 = 2003;
    /// CR_SERVER_GONE_ERROR: the server went away before a command was sent.
    pub const SERVER_GONE: u16 = 2006;
    /// CR_SERVER_LOST: lost connection during a query.
    pub const SERVER_LOST: u16 = 2013;
    /// CR_COMMANDS_OUT_OF_SYNC.
    pub const COMMANDS_OUT_OF_SYNC: u16 = 2014;
    /// CR_MALFORMED_PACKET.
    pub const MALFORMED_PACKET: u16 = 2027;
    /// CR_AUTH_PLUGIN_CANNOT_LOAD.
    pub const AUTH_PLUGIN_CANNOT_LOAD: u16 = 2059;
    /// CR_NET_PACKET_TOO_LARGE.
    pub const NET_PACKET_TOO_LARGE: u16 = 2020;
    /// CR_SSL_CONNECTION_ERROR.
    pub const SSL_CONNECTION_ERROR: u16 = 2026;
}

/// The `what` of the statement timeouts (`Error::Timeout`).
pub(crate) mod timeout_what {
    /// The server stopped the statement (MariaDB 1969, MySQL 3024).
    pub(crate) const STOPPED: &str =
        "statement: the server stopped it (max_statement_time / MAX_EXECUTION_TIME); the connection is still usable";
    /// The client-side deadline passed first and `KILL QUERY` stopped the statement.
    pub(crate) const KILLED: &str =
        "statement: it was killed on the server with KILL QUERY; the connection is still usable";
    /// The deadline passed while nothing was running on the server any more (the
    /// response had been read, or nothing was sent).
    pub(crate) const EXPIRED: &str =
        "statement: the deadline passed; nothing is left running, the connection is still usable";
    /// The deadline passed and the statement could not be stopped in time (the side
    /// connection or the kill failed, or its response did not come): the connection was closed.
    pub(crate) const CLOSED: &str =
        "statement: KILL QUERY did not stop it in time (see the log); the connection was closed";
}

/// Everything that can go wrong in amysql.
#[derive(Clone)]
#[non_exhaustive]
pub enum Error {
    /// The server answered a command with an ERR packet.
    Server(ServerError),
    /// Transport failure (connect, read, write) with a CR_* code: 2002/2003 can't connect,
    /// 2006 gone away, 2013 lost during query.
    Io { code: u16, message: String, source: Option<Arc<std::io::Error>> },
    /// A deadline passed. After a connect, read or write timeout the connection is not
    /// reusable. After a statement timeout (`what` starts with `"statement"`, see
    /// [`Error::is_statement_timeout`]) the statement was stopped on the server and the
    /// connection stays usable, unless `what` says it was closed.
    Timeout { what: &'static str, after: std::time::Duration },
    /// The server sent bytes that do not follow the protocol (truncated, out of order,
    /// unexpected packet). The connection is closed afterwards.
    Protocol(String),
    /// TLS negotiation or certificate verification failed.
    Tls(String),
    /// Authentication exchange failed on the client side (unknown plugin, refused
    /// cleartext, missing RSA key, ...). Server-side denials arrive as `Server(1045)`.
    Auth(String),
    /// The caller misused the API: bad URL or option, wrong number of parameters,
    /// missing named parameter, unsafe charset for client-side escaping, closed connection.
    Interface(String),
    /// Programming error in a query the client can detect (bad placeholder syntax).
    Programming(String),
    /// A column could not be decoded into the requested Rust type, or a value could not
    /// be encoded (NaN, empty IN list).
    Decode(String),
    /// A value could not be encoded as an SQL literal.
    Encode(String),
    /// `fetch_one` found no row.
    RowNotFound,
    /// The operation is not supported (SSCursor scrolled backwards, ...).
    NotSupported(String),
    /// `acquire()` waited longer than `acquire_timeout`.
    PoolTimedOut,
    /// The pool was closed.
    PoolClosed,
    /// A connection is in a state from which it cannot be used again (a previous command
    /// was abandoned mid-write, a timeout fired, the server closed the socket).
    Broken(String),
}

impl Error {
    /// The DB-API class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Server(e) => e.kind(),
            Error::Io { .. } | Error::Timeout { .. } | Error::Tls(_) | Error::Auth(_) => ErrorKind::Operational,
            Error::Broken(_) | Error::PoolTimedOut | Error::PoolClosed => ErrorKind::Operational,
            Error::Protocol(_) => ErrorKind::Internal,
            Error::Interface(_) => ErrorKind::Interface,
            Error::Programming(_) => ErrorKind::Programming,
            Error::Decode(_) | Error::Encode(_) => ErrorKind::Data,
            Error::RowNotFound => ErrorKind::Data,
            Error::NotSupported(_) => ErrorKind::NotSupported,
        }
    }

    /// The MySQL error number: the server's code, or the CR_* client code for transport
    /// failures (2003, 2006, 2013, ...).
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Server(e) => Some(e.code()),
            Error::Io { code, .. } => Some(*code),
            Error::Timeout { .. } => Some(client_code::SERVER_LOST),
            Error::Broken(_) => Some(client_code::SERVER_GONE),
            Error::Protocol(_) => Some(client_code::MALFORMED_PACKET),
            Error::Tls(_) => Some(client_code::SSL_CONNECTION_ERROR),
            _ => None,
        }
    }

    /// The server error, when this is one.
    pub fn as_server(&self) -> Option<&ServerError> {
        match self {
            Error::Server(e) => Some(e),
            _ => None,
        }
    }

    /// True when the connection that produced this error cannot be used again.
    pub fn is_connection_error(&self) -> bool {
        match self {
            // The statement was stopped and its response read: the stream is in step.
            Error::Timeout { what, .. } => {
                ![timeout_what::STOPPED, timeout_what::KILLED, timeout_what::EXPIRED].contains(what)
            }
            Error::Io { .. } | Error::Protocol(_) | Error::Broken(_) | Error::Tls(_) => true,
            Error::Server(e) => matches!(e.code(), 1053 | 1927 | 4031),
            _ => false,
        }
    }

    /// True for a statement timeout (`ConnectOptions::statement_timeout`,
    /// `query(..).timeout(..)`): the statement was stopped by the server or killed.
    pub fn is_statement_timeout(&self) -> bool {
        matches!(self, Error::Timeout { what, .. } if what.starts_with("statement"))
    }

    pub(crate) fn io(code: u16, context: &str, err: std::io::Error) -> Self {
        Error::Io { code, message: format!("{context}: {err}"), source: Some(Arc::new(err)) }
    }

    pub(crate) fn protocol(msg: impl Into<String>) -> Self {
        Error::Protocol(msg.into())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.kind(), self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Server(e) => write!(f, "server error {e}"),
            Error::Io { code, message, .. } => write!(f, "({code}) {message}"),
            // `what` may carry an explanation after a colon: "statement: killed ...".
            Error::Timeout { what, after } => match what.split_once(": ") {
                Some((what, why)) => write!(f, "{what} timed out after {after:?}: {why}"),
                None => write!(f, "{what} timed out after {after:?}"),
            },
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::Tls(m) => write!(f, "TLS error: {m}"),
            Error::Auth(m) => write!(f, "authentication error: {m}"),
            Error::Interface(m) => write!(f, "{m}"),
            Error::Programming(m) => write!(f, "{m}"),
            Error::Decode(m) => write!(f, "decode error: {m}"),
            Error::Encode(m) => write!(f, "encode error: {m}"),
            Error::RowNotFound => write!(f, "no rows returned by a query that expected one"),
            Error::NotSupported(m) => write!(f, "not supported: {m}"),
            Error::PoolTimedOut => write!(f, "timed out waiting for a pooled connection"),
            Error::PoolClosed => write!(f, "the pool is closed"),
            Error::Broken(m) => write!(f, "(2006) connection is unusable: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Server(e) => Some(e),
            Error::Io { source: Some(s), .. } => Some(&**s),
            _ => None,
        }
    }
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Self {
        Error::Server(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_is_operational_like_pymysql() {
        let e = Error::Server(ServerError::new(1045, Some("28000".into()), "Access denied"));
        assert_eq!(e.kind(), ErrorKind::Operational);
        assert_eq!(e.to_string(), "server error (1045, 28000) Access denied");
    }

    #[test]
    fn statement_timeouts_keep_the_connection() {
        let after = std::time::Duration::from_millis(200);
        for (what, usable) in [
            (timeout_what::STOPPED, true),
            (timeout_what::KILLED, true),
            (timeout_what::EXPIRED, true),
            (timeout_what::CLOSED, false),
            ("read", false),
        ] {
            let e = Error::Timeout { what, after };
            assert_eq!(e.is_connection_error(), !usable, "{what}");
            assert_eq!(e.is_statement_timeout(), what != "read", "{what}");
            assert_eq!(e.kind(), ErrorKind::Operational);
        }
        let e = Error::Timeout { what: timeout_what::KILLED, after };
        assert_eq!(
            e.to_string(),
            "statement timed out after 200ms: it was killed on the server with KILL QUERY; the connection is still usable"
        );
        assert_eq!(Error::Timeout { what: "read", after }.to_string(), "read timed out after 200ms");
    }

    #[test]
    fn sqlstate_class_fallbacks() {
        assert_eq!(server_error_kind(1690, Some("22003")), ErrorKind::Data);
        assert_eq!(server_error_kind(4025, Some("23000")), ErrorKind::Integrity);
        assert_eq!(server_error_kind(1062, Some("23000")), ErrorKind::Integrity);
        assert_eq!(server_error_kind(1064, Some("42000")), ErrorKind::Programming);
        assert_eq!(server_error_kind(1927, Some("70100")), ErrorKind::Operational);
    }
}
