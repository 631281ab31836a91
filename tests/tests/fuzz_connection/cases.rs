//! The valid transcripts the fuzz test mutates, and what a client does with each: the
//! handshake (MariaDB, MySQL 8 fast auth, auth switch), text results read four ways,
//! a prepared statement's binary result, cached metadata, a multi-result, OK and ERR,
//! and a refused LOCAL INFILE request. Every transcript ends with a COM_PING answer, so
//! a desync left behind by the last statement surfaces in the ping at the latest.

use std::time::Duration;

use amysql::{ConnectOptions, Connection, Error, Row};
use amysql_tests::fake_server::scripted::{
    binary_result_cached, err, ok, prepare_ok, status, text_result, ty, Greeting, Packets, Script,
};

use super::mutate::Transcript;

/// What the client runs against a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ping,
    /// `query_as::<(i64, String, Option<String>)>().fetch_all` (rows decoded in place).
    Typed,
    /// Buffered cursor, `fetchall`.
    Cursor,
    /// Unbuffered cursor, `fetchall`.
    SsCursor,
    /// `Connection::query_text`.
    QueryText,
    /// `query("... %s").bind(0).fetch_all` on a statement cache: prepare + execute.
    Prepared,
    /// The same prepared query twice; the second answer skips the metadata.
    PreparedTwice,
    /// A cursor over a two-result answer, with `nextset`.
    MultiResult,
    /// `query_drop` answered by OK, then by ERR.
    OkErr,
    /// `query_drop` answered by a LOCAL INFILE request (refused).
    Infile,
}

/// A named transcript and the operation it answers.
pub struct Case {
    pub name: &'static str,
    /// The script's greeting, auth answers and command answers, as `Transcript` steps:
    /// step 0 is the greeting, then `auth_steps` auth answers, then command answers.
    pub transcript: Transcript,
    pub auth_steps: usize,
    pub op: Op,
    pub extended: bool,
}

impl Case {
    /// The script for (a mutation of) this case's transcript. The server half-closes
    /// after its last answer, so a client waiting for more bytes sees end-of-stream.
    pub fn script(&self, t: &Transcript) -> Script {
        let mut steps = t.steps.iter();
        let greeting = steps.next().cloned().unwrap_or_default();
        let auth: Vec<Vec<u8>> = steps.by_ref().take(self.auth_steps).cloned().collect();
        let mut s = Script::mariadb().greeting_raw(greeting).auth_raw(auth).close_after_last();
        for reply in steps {
            s = s.then(reply.clone());
        }
        s
    }

    pub fn options(&self, base: ConnectOptions) -> ConnectOptions {
        match self.op {
            // The statement cache also prepares queries without parameters: only the
            // prepared cases turn it on.
            Op::Prepared | Op::PreparedTwice => base.stmt_cache_size(8),
            Op::MultiResult => base.multi_statements(true),
            _ => base,
        }
    }
}

const COLS: [(&str, u8); 3] = [("id", ty::LONGLONG), ("name", ty::VAR_STRING), ("note", ty::VAR_STRING)];
const BIN_COLS: [(&str, u8); 5] = [
    ("id", ty::LONGLONG),
    ("name", ty::VAR_STRING),
    ("note", ty::VAR_STRING),
    ("at", ty::DATETIME),
    ("score", ty::DOUBLE),
];
const ROWS: usize = 10;

fn names() -> Vec<String> {
    (0..ROWS).map(|i| format!("name-{i}-{}", "x".repeat(i))).collect()
}

fn text_rows(names: &[String]) -> Vec<(String, String, Option<String>)> {
    (0..ROWS).map(|i| (i.to_string(), names[i].clone(), (i % 3 != 0).then(|| format!("note {i}")))).collect()
}

fn text_answer(deprecate_eof: bool) -> Vec<u8> {
    let names = names();
    let rows = text_rows(&names);
    let cells: Vec<Vec<Option<&[u8]>>> = rows
        .iter()
        .map(|(id, n, note)| vec![Some(id.as_bytes()), Some(n.as_bytes()), note.as_ref().map(|s| s.as_bytes())])
        .collect();
    text_result(&COLS, &cells, deprecate_eof)
}

struct BinRows {
    cells: Vec<[Vec<u8>; 5]>,
}

fn bin_rows(offset: i64) -> BinRows {
    let names = names();
    let cells = (0..ROWS)
        .map(|i| {
            let id = (i as i64 + offset).to_le_bytes().to_vec();
            let at = [0xe8, 0x07, 2, 29, 12, 30, i as u8].to_vec();
            [
                id,
                names[i].clone().into_bytes(),
                format!("note {i}").into_bytes(),
                at,
                (i as f64 / 4.0).to_le_bytes().to_vec(),
            ]
        })
        .collect();
    BinRows { cells }
}

impl BinRows {
    /// Rows with every third note NULL.
    fn rows(&self) -> Vec<Vec<Option<&[u8]>>> {
        self.cells
            .iter()
            .enumerate()
            .map(|(i, c)| c.iter().enumerate().map(|(j, b)| (j != 2 || i % 3 != 0).then_some(&b[..])).collect())
            .collect()
    }
}

fn ping() -> Vec<u8> {
    ok(1, 0, status::AUTOCOMMIT)
}

fn mariadb_greeting(extended: bool, deprecate_eof: bool) -> Vec<u8> {
    let mut g = Greeting::mariadb();
    if extended {
        g.mariadb_capabilities = 1 << 2 | 1 << 4;
    }
    if !deprecate_eof {
        g.capabilities &= !(1 << 24);
    }
    g.to_bytes()
}

fn case(name: &'static str, op: Op, greeting: Vec<u8>, auth: Vec<Vec<u8>>, replies: Vec<Vec<u8>>) -> Case {
    let auth_steps = auth.len();
    let mut steps = vec![greeting];
    steps.extend(auth);
    steps.extend(replies);
    steps.push(ping());
    Case { name, transcript: Transcript { steps }, auth_steps, op, extended: false }
}

/// Every case type, in a fixed order (the case index picks one round-robin).
pub fn all() -> Vec<Case> {
    let auth_ok = || vec![ok(2, 0, status::AUTOCOMMIT)];
    let mariadb = || mariadb_greeting(false, true);
    let mysql8 = Script::mysql8();
    let switch = Script::mariadb().with_auth_switch();

    let bin = bin_rows(0);
    let prepared = vec![
        prepare_ok(1, &BIN_COLS, 1, true),
        Packets::new(1).binary_result(&BIN_COLS, &bin.rows(), status::AUTOCOMMIT).into_bytes(),
    ];
    let bin2 = bin_rows(100);
    let types: Vec<u8> = BIN_COLS.iter().map(|c| c.1).collect();
    let cached = vec![
        prepare_ok(2, &BIN_COLS, 1, true),
        Packets::new(1).cache_metadata(true).binary_result(&BIN_COLS, &bin.rows(), status::AUTOCOMMIT).into_bytes(),
        binary_result_cached(&types, &bin2.rows(), true),
    ];
    let multi = Packets::new(1)
        .text_result(
            &[("a", ty::LONGLONG)],
            &[vec![Some(b"1")], vec![Some(b"2")]],
            status::AUTOCOMMIT | status::MORE_RESULTS_EXISTS,
        )
        .text_result(&[("b", ty::VAR_STRING)], &[vec![Some(b"x")]], status::AUTOCOMMIT | status::MORE_RESULTS_EXISTS)
        .ok(4, 9, status::AUTOCOMMIT)
        .into_bytes();
    let ok_err = vec![
        Packets::new(1).ok(3, 42, status::AUTOCOMMIT).into_bytes(),
        err(1, 1146, "42S02", "Table 'test.nope' doesn't exist"),
    ];
    let infile = vec![Packets::new(1).local_infile("/etc/passwd").into_bytes(), ok(3, 0, status::AUTOCOMMIT)];

    let mut cached_case = case("cached_metadata", Op::PreparedTwice, mariadb_greeting(true, true), auth_ok(), cached);
    cached_case.extended = true;
    vec![
        case("handshake", Op::Ping, mariadb(), auth_ok(), vec![]),
        case("mysql8_fast_auth", Op::Ping, mysql8.greeting().to_vec(), mysql8.auth().to_vec(), vec![]),
        case("auth_switch", Op::Ping, switch.greeting().to_vec(), switch.auth().to_vec(), vec![]),
        case("text_typed", Op::Typed, mariadb(), auth_ok(), vec![text_answer(true)]),
        case("text_cursor", Op::Cursor, mariadb(), auth_ok(), vec![text_answer(true)]),
        case("text_sscursor", Op::SsCursor, mariadb(), auth_ok(), vec![text_answer(true)]),
        case("text_classic_eof", Op::QueryText, mariadb_greeting(false, false), auth_ok(), vec![text_answer(false)]),
        case("prepared_binary", Op::Prepared, mariadb(), auth_ok(), prepared),
        cached_case,
        case("multi_result", Op::MultiResult, mariadb(), auth_ok(), vec![multi]),
        case("ok_err", Op::OkErr, mariadb(), auth_ok(), ok_err),
        case("local_infile_refused", Op::Infile, mariadb(), auth_ok(), infile),
    ]
}

/// One operation's outcome, comparable across runs: `Ok(rendering)` or `Err(rendering)`.
pub type Outcome = Result<String, String>;

fn render_err(e: &Error) -> String {
    match e {
        Error::Server(s) => format!("server error {}", s.code()),
        other => format!("client error: {other}"),
    }
}

fn rows(r: amysql::Result<Vec<Row>>) -> Outcome {
    r.map(|rows| format!("{:?}", rows.iter().map(|r| r.values().to_vec()).collect::<Vec<_>>()))
        .map_err(|e| render_err(&e))
}

fn rendered<T: std::fmt::Debug>(r: amysql::Result<T>) -> Outcome {
    r.map(|v| format!("{v:?}")).map_err(|e| render_err(&e))
}

/// Connects and runs `op`, then pings. Each element is one call's outcome; the first
/// is the connect.
pub async fn run(op: Op, opts: ConnectOptions) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut conn = match Connection::connect(opts).await {
        Ok(c) => c,
        Err(e) => return vec![Err(render_err(&e))],
    };
    out.push(Ok(String::from("connected")));
    const SQL: &str = "SELECT id, name, note FROM t";
    const PREPARED: &str = "SELECT id, name, note, at, score FROM t WHERE id >= %s";
    match op {
        Op::Ping => {}
        Op::Typed => {
            let r = amysql::query_as::<(i64, String, Option<String>)>(SQL).fetch_all(&mut conn).await;
            out.push(rendered(r));
        }
        Op::Cursor => {
            let mut cur = conn.cursor();
            let r = match cur.execute(SQL, ()).await {
                Ok(_) => rows(cur.fetchall().await),
                Err(e) => Err(render_err(&e)),
            };
            out.push(r);
        }
        Op::SsCursor => {
            let mut cur = conn.ss_cursor();
            let r = match cur.execute(SQL, ()).await {
                Ok(_) => rows(cur.fetchall().await),
                Err(e) => Err(render_err(&e)),
            };
            out.push(r);
        }
        Op::QueryText => out.push(rendered(conn.query_text(SQL).await)),
        Op::Prepared => out.push(rows(amysql::query(PREPARED).bind(0i64).fetch_all(&mut conn).await)),
        Op::PreparedTwice => {
            out.push(rows(amysql::query(PREPARED).bind(0i64).fetch_all(&mut conn).await));
            out.push(rows(amysql::query(PREPARED).bind(100i64).fetch_all(&mut conn).await));
        }
        Op::MultiResult => {
            let mut cur = conn.cursor();
            let mut r = match cur.execute("SELECT a FROM t; SELECT b FROM u; DO 1", ()).await {
                Ok(_) => rows(cur.fetchall().await),
                Err(e) => Err(render_err(&e)),
            };
            for _ in 0..2 {
                if r.is_err() {
                    break;
                }
                r = match cur.nextset().await {
                    Ok(true) => rows(cur.fetchall().await).map(|s| format!("{} | {s}", r.unwrap_or_default())),
                    Ok(false) => Err("nextset ended early".into()),
                    Err(e) => Err(render_err(&e)),
                };
            }
            if r.is_ok() {
                r = match cur.nextset().await {
                    Ok(false) => r,
                    Ok(true) => Err("a fourth result set".into()),
                    Err(e) => Err(render_err(&e)),
                };
            }
            out.push(r);
        }
        Op::OkErr => {
            out.push(rendered(
                conn.query_drop("UPDATE t SET a = 1").await.map(|r| (r.rows_affected, r.last_insert_id)),
            ));
            out.push(rendered(conn.query_drop("SELECT * FROM nope").await));
        }
        Op::Infile => out.push(rendered(conn.query_drop("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t").await)),
    }
    out.push(rendered(conn.ping().await));
    out
}

/// Client timeouts for fuzzing: short, so that cases where the client waits for bytes a
/// mutation removed end quickly, and well inside the 2 s hang bound.
pub fn fuzz_options(base: ConnectOptions) -> ConnectOptions {
    base.connect_timeout(Duration::from_millis(400)).read_timeout(Duration::from_millis(250))
}
