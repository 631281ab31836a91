//! The per-command spans (OpenTelemetry field names), statement logging and pool status,
//! against the private MariaDB, with a capturing `tracing` layer. Every test also scans
//! everything it captured for the bound values and the password it used.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amysql::{ConnectOptions, Connection, PoolOptions};
use amysql_tests::{server, unique_name};
use futures_util::TryStreamExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A span as captured: its name, its parent's name, every field recorded on it.
#[derive(Clone, Debug)]
struct SpanRec {
    name: String,
    parent: Option<String>,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
struct EventRec {
    level: tracing::Level,
    target: String,
    span: Option<String>,
    fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Captured {
    spans: BTreeMap<u64, SpanRec>,
    order: Vec<u64>,
    events: Vec<EventRec>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.name().to_string());
        let mut c = self.0.lock().unwrap();
        c.spans.insert(id.into_u64(), SpanRec { name: attrs.metadata().name().to_string(), parent, fields });
        c.order.push(id.into_u64());
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut c = self.0.lock().unwrap();
        if let Some(s) = c.spans.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut s.fields));
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|s| s.name().to_string());
        let m = event.metadata();
        self.0.lock().unwrap().events.push(EventRec {
            level: *m.level(),
            target: m.target().to_string(),
            span,
            fields,
        });
    }
}

impl Capture {
    /// Installs the layer for this thread (the tests run on a current-thread runtime,
    /// so every task of the test sees it).
    fn install() -> (Capture, tracing::subscriber::DefaultGuard) {
        let cap = Capture::default();
        let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(cap.clone()));
        (cap, guard)
    }

    fn spans(&self, name: &str) -> Vec<SpanRec> {
        let c = self.0.lock().unwrap();
        c.order.iter().map(|id| c.spans[id].clone()).filter(|s| s.name == name).collect()
    }

    fn span_with(&self, name: &str, field: &str, value: &str) -> SpanRec {
        let all = self.spans(name);
        all.iter()
            .find(|s| s.fields.get(field).map(String::as_str) == Some(value))
            .cloned()
            .unwrap_or_else(|| panic!("no `{name}` span with {field}={value}: {all:#?}"))
    }

    fn events(&self) -> Vec<EventRec> {
        self.0.lock().unwrap().events.clone()
    }

    /// Fails if `secret` appears in any field of any span or event captured.
    fn assert_absent(&self, secret: &str) {
        let c = self.0.lock().unwrap();
        for s in c.spans.values() {
            for (k, v) in &s.fields {
                assert!(!v.contains(secret), "secret in span `{}` field {k}: {v}", s.name);
            }
        }
        for e in &c.events {
            for (k, v) in &e.fields {
                assert!(!v.contains(secret), "secret in event field {k}: {v}");
            }
        }
    }
}

fn get<'a>(s: &'a SpanRec, field: &str) -> &'a str {
    s.fields.get(field).map(String::as_str).unwrap_or_else(|| panic!("span `{}` has no {field}: {s:#?}", s.name))
}

/// The OTel fields every command span carries.
fn assert_common(s: &SpanRec) {
    let srv = server();
    assert_eq!(get(s, "otel.kind"), "client");
    assert_eq!(get(s, "db.system.name"), "mariadb");
    assert_eq!(get(s, "db.namespace"), srv.db());
    assert_eq!(get(s, "server.address"), srv.host());
    assert_eq!(get(s, "server.port"), srv.port().to_string());
}

async fn conn(opts: ConnectOptions) -> Connection {
    Connection::connect(opts).await.unwrap()
}

fn opts() -> ConnectOptions {
    server().url().parse().unwrap()
}

const SECRET: &str = "SECRET-VALUE-31337";
const SECRET_NUM: i64 = 914_271_828;

#[tokio::test]
async fn query_execute_fetch_and_error_spans() {
    let (cap, _g) = Capture::install();
    let mut c = conn(opts()).await;
    let t = unique_name("obs");
    amysql::query(&format!("CREATE TEMPORARY TABLE {t} (id INT PRIMARY KEY, s VARCHAR(64))"))
        .execute(&mut c)
        .await
        .unwrap();
    let insert = format!("INSERT INTO {t} VALUES (%s, %s), (%s, %s), (%s, %s)");
    let r = amysql::query(&insert)
        .bind(1)
        .bind(SECRET)
        .bind(2)
        .bind(SECRET)
        .bind(SECRET_NUM)
        .bind("x")
        .execute(&mut c)
        .await
        .unwrap();
    assert_eq!(r.rows_affected, 3);
    let select = format!("SELECT s FROM {t} WHERE s = %s OR id = %s");
    let rows: Vec<String> =
        amysql::query_scalar(&select).bind(SECRET).bind(SECRET_NUM).fetch_all(&mut c).await.unwrap();
    assert_eq!(rows.len(), 3);
    let streamed: Vec<String> = amysql::query_scalar(&format!("SELECT s FROM {t} WHERE id < %s ORDER BY id"))
        .bind(3)
        .fetch(&mut c)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, [SECRET, SECRET]);
    let err = amysql::query("SELECT * FROM no_such_table_obs WHERE a = %s").bind(SECRET).execute(&mut c).await;
    assert_eq!(err.unwrap_err().as_server().map(|e| e.code()), Some(1146));

    let s = cap.span_with("query", "db.query.text", &insert);
    assert_common(&s);
    assert_eq!(get(&s, "db.operation.name"), "INSERT");
    assert_eq!(get(&s, "otel.name"), format!("INSERT {}", server().db()));
    assert_eq!(get(&s, "db.response.affected_rows"), "3");
    assert!(!s.fields.contains_key("error.type"));

    let s = cap.span_with("query", "db.query.text", &select);
    assert_common(&s);
    assert_eq!(get(&s, "db.operation.name"), "SELECT");
    assert_eq!(get(&s, "db.response.returned_rows"), "3");

    let s = cap.spans("fetch").pop().expect("a fetch span");
    assert_common(&s);
    assert_eq!(get(&s, "db.response.returned_rows"), "2");

    let s = cap.span_with("query", "db.query.text", "SELECT * FROM no_such_table_obs WHERE a = %s");
    assert_eq!(get(&s, "db.response.status_code"), "1146");
    assert_eq!(get(&s, "error.type"), "1146");
    cap.assert_absent(SECRET);
    cap.assert_absent(&SECRET_NUM.to_string());
}

#[tokio::test]
async fn prepare_ping_transaction_and_connect_spans() {
    let (cap, _g) = Capture::install();
    let mut c = conn(opts().stmt_cache_size(8)).await;
    let sql = "SELECT %s + 1";
    let n: i64 = amysql::query_scalar(sql).bind(SECRET_NUM).fetch_one(&mut c).await.unwrap();
    assert_eq!(n, SECRET_NUM + 1);
    c.ping().await.unwrap();
    let tx = c.begin().await.unwrap();
    tx.commit().await.unwrap();
    let tx = c.begin().await.unwrap();
    tx.rollback().await.unwrap();

    let p = cap.spans("prepare").pop().expect("a prepare span");
    assert_common(&p);
    assert_eq!(p.parent.as_deref(), Some("query"), "prepare runs inside its statement's span");
    assert_eq!(get(&p, "db.operation.name"), "PREPARE");
    // The prepared text has `?` where the caller wrote `%s`: still no value.
    assert_eq!(get(&p, "db.query.text"), "SELECT ? + 1");
    let q = cap.span_with("query", "db.query.text", sql);
    assert_eq!(get(&q, "db.response.returned_rows"), "1");
    for (name, op) in [("ping", "PING"), ("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")] {
        let s = cap.spans(name).pop().unwrap_or_else(|| panic!("no {name} span"));
        assert_common(&s);
        assert_eq!(get(&s, "db.operation.name"), op);
    }
    let s = cap.spans("connect").pop().expect("a connect span");
    assert_common(&s);
    assert_eq!(get(&s, "db.operation.name"), "CONNECT");
    cap.assert_absent(&SECRET_NUM.to_string());
    cap.assert_absent(server().password());
}

#[tokio::test]
async fn executemany_span_counts_rows() {
    let (cap, _g) = Capture::install();
    let mut c = conn(opts()).await;
    let t = unique_name("obs_many");
    c.query_drop(&format!("CREATE TEMPORARY TABLE {t} (id INT, s VARCHAR(64))")).await.unwrap();
    let sql = format!("INSERT INTO {t} (id, s) VALUES (%s, %s)");
    let rows = [(1, SECRET), (2, SECRET), (3, "plain")];
    let mut cur = c.cursor();
    assert_eq!(cur.executemany(&sql, rows).await.unwrap(), 3);
    drop(cur);
    let s = cap.span_with("executemany", "db.query.text", &sql);
    assert_common(&s);
    assert_eq!(get(&s, "db.operation.name"), "INSERT");
    assert_eq!(get(&s, "db.operation.batch.size"), "3");
    assert_eq!(get(&s, "db.response.affected_rows"), "3");
    // A cursor's execute has a statement span too.
    let mut cur = c.cursor();
    cur.execute(&format!("SELECT s FROM {t} WHERE s = %s"), (SECRET,)).await.unwrap();
    let s = cap.span_with("query", "db.query.text", &format!("SELECT s FROM {t} WHERE s = %s"));
    assert_eq!(get(&s, "db.response.returned_rows"), "2");
    cap.assert_absent(SECRET);
}

#[tokio::test]
async fn query_text_can_be_left_out() {
    let (cap, _g) = Capture::install();
    let mut c = conn(opts().trace_query_text(false).log_statements(tracing::Level::INFO)).await;
    amysql::query("SELECT 'LITERAL-IN-SQL'").execute(&mut c).await.unwrap();
    let s = cap.spans("query").pop().unwrap();
    assert!(!s.fields.contains_key("db.query.text"), "{s:#?}");
    assert_eq!(get(&s, "db.operation.name"), "SELECT");
    cap.assert_absent("LITERAL-IN-SQL");
}

#[tokio::test]
async fn statements_are_logged_and_slow_ones_warned() {
    let (cap, _g) = Capture::install();
    let mut c = conn(opts()).await;
    amysql::query("SELECT %s").bind(SECRET).execute(&mut c).await.unwrap();
    let ev = cap.events();
    let e = ev
        .iter()
        .find(|e| e.fields.get("db.query.text").map(String::as_str) == Some("SELECT %s"))
        .expect("a statement event");
    assert_eq!((e.level, e.target.as_str()), (tracing::Level::DEBUG, "amysql::query"));
    assert_eq!(e.fields.get("message").map(String::as_str), Some("statement"));
    assert_eq!(e.span.as_deref(), None, "logged after the span closed: not inside it");

    // Everything is slow with a zero threshold.
    let mut c = conn(opts().log_slow_statements(tracing::Level::WARN, Duration::ZERO)).await;
    amysql::query("SELECT SLEEP(%s)").bind(0).execute(&mut c).await.unwrap();
    let ev = cap.events();
    let e = ev
        .iter()
        .find(|e| e.fields.get("db.query.text").map(String::as_str) == Some("SELECT SLEEP(%s)"))
        .expect("a slow statement event");
    assert_eq!(e.level, tracing::Level::WARN);
    assert_eq!(e.fields.get("message").map(String::as_str), Some("slow statement"));
    assert_eq!(e.fields.get("rows_affected").map(String::as_str), Some("0"));
    assert!(e.fields.contains_key("slow_threshold"));

    let before = cap.events().len();
    let mut c = conn(opts().disable_statement_logging()).await;
    amysql::query("SELECT 1").execute(&mut c).await.unwrap();
    assert!(cap.events()[before..].iter().all(|e| e.target != "amysql::query"));
    cap.assert_absent(SECRET);
}

#[tokio::test]
async fn password_never_appears() {
    let (cap, _g) = Capture::install();
    let user = unique_name("obs_u");
    let pw = "Pw-SECRET-8d1e-obs";
    let mut admin = conn(opts()).await;
    admin.query_drop(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}'")).await.unwrap();
    admin.query_drop(&format!("GRANT ALL ON {}.* TO '{user}'@'%'", server().db())).await.unwrap();
    // The admin's statements above carry the password as a literal: only the spans of the
    // connection under test count from here.
    let mark = cap.0.lock().unwrap().order.len();
    let o = opts().user(&user).password(pw);
    let mut c = conn(o.clone()).await;
    c.ping().await.unwrap();
    let bad = Connection::connect(o.password("Pw-SECRET-wrong-obs")).await;
    assert!(bad.is_err());
    let pool = amysql::create_pool(opts().user(&user).password(pw), PoolOptions::new().maxsize(1)).await.unwrap();
    amysql::query("SELECT 1").execute(&pool).await.unwrap();
    {
        let c2 = cap.0.lock().unwrap();
        for id in &c2.order[mark..] {
            let s = &c2.spans[id];
            for v in s.fields.values() {
                assert!(!v.contains("Pw-SECRET"), "password in span {s:#?}");
            }
        }
        for e in &c2.events {
            for v in e.fields.values() {
                if !v.contains("CREATE USER") {
                    assert!(!v.contains("Pw-SECRET"), "password in event {e:#?}");
                }
            }
        }
    }
    admin.query_drop(&format!("DROP USER '{user}'@'%'")).await.unwrap();
}

#[tokio::test]
async fn pool_acquire_span_and_status() {
    let (cap, _g) = Capture::install();
    let pool = amysql::create_pool(server().url().as_str(), PoolOptions::new().minsize(0).maxsize(2)).await.unwrap();
    let st = pool.status();
    assert_eq!((st.size, st.idle, st.in_use, st.waiters, st.acquires), (0, 0, 0, 0, 0));
    let n: i64 = amysql::query_scalar("SELECT %s").bind(5).fetch_one(&pool).await.unwrap();
    assert_eq!(n, 5);
    let a = cap.spans("acquire").pop().expect("an acquire span");
    assert_eq!(get(&a, "server.address"), server().host());
    // request → acquire, then the statement beside it (both children of the caller).
    let q = cap.span_with("query", "db.query.text", "SELECT %s");
    assert_eq!(q.parent, a.parent);

    let c1 = pool.acquire().await.unwrap();
    let c2 = pool.acquire().await.unwrap();
    let st = pool.status();
    assert_eq!((st.size, st.idle, st.in_use, st.max_size), (2, 0, 2, 2));
    assert_eq!(st.acquires, 3);
    assert_eq!(st.connections_opened, 2);
    // A third caller waits, and times out.
    let p2 = pool.clone();
    let waiter = tokio::spawn(async move {
        // Same pool, shorter patience: a separate acquire with a timeout of our own.
        tokio::time::timeout(Duration::from_millis(300), p2.acquire()).await.is_err()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(pool.status().waiters, 1);
    assert!(waiter.await.unwrap(), "the third acquire had to wait");
    assert_eq!(pool.status().waiters, 0, "a dropped acquire stops counting as waiting");
    // A connection returned inside a transaction is recycled (rolled back).
    let recycled = pool.status().recycles;
    let mut c1 = c1;
    c1.query_drop("START TRANSACTION").await.unwrap();
    drop(c1);
    // A broken one is discarded.
    let mut c2 = c2;
    let id = c2.thread_id();
    let mut killer = conn(opts()).await;
    killer.kill(id).await.unwrap();
    let _ = c2.query_drop("SELECT 1").await;
    assert!(c2.is_broken());
    drop(c2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let st = pool.status();
        if st.recycles == recycled + 1 && st.connections_closed == 1 {
            assert_eq!(st.discarded_broken, 1);
            assert_eq!((st.size, st.idle, st.in_use), (1, 1, 0));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "status did not settle: {st:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close();
    pool.wait_closed().await.unwrap();
    assert_eq!(pool.status().connections_closed, 2);
}

#[tokio::test]
async fn acquire_timeouts_are_counted() {
    let pool = amysql::create_pool(
        server().url().as_str(),
        PoolOptions::new().minsize(0).maxsize(1).acquire_timeout(Duration::from_millis(100)),
    )
    .await
    .unwrap();
    let held = pool.acquire().await.unwrap();
    assert!(matches!(pool.acquire().await, Err(amysql::Error::PoolTimedOut)));
    let st = pool.status();
    assert_eq!((st.acquires, st.acquire_timeouts), (1, 1));
    drop(held);
}
