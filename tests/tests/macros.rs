//! `query!`, `query_as!`, `query_scalar!` and `#[derive(Params)]` against a real server,
//! including the shape of a web handler (the future must be `Send`).

use amysql::{Connection, FromRow, Params, Pool, PoolOptions};
use amysql_tests::{server, unique_name};

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

async fn pool() -> Pool {
    amysql::create_pool(server().url().as_str(), PoolOptions::new().minsize(1).maxsize(2)).await.expect("pool")
}

#[derive(Debug, Clone, PartialEq, FromRow, Params)]
struct User {
    id: i64,
    #[amysql(rename = "user_name")]
    name: String,
    email: Option<String>,
}

async fn users_table(c: &mut Connection) -> String {
    let t = unique_name("musers");
    c.query_drop(&format!(
        "CREATE TABLE {t} (id BIGINT PRIMARY KEY, user_name VARCHAR(50) NOT NULL, email VARCHAR(100) NULL)"
    ))
    .await
    .unwrap();
    t
}

#[tokio::test]
async fn query_macros_positional_named_and_percent() {
    let mut c = conn().await;
    let n: i64 = amysql::query_scalar!("SELECT %s + %s", 40, 2).fetch_one(&mut c).await.unwrap();
    assert_eq!(n, 42);
    // Typed form, useful where nothing else fixes the type.
    assert_eq!(amysql::query_scalar!(String, "SELECT 'a%%b'").fetch_one(&mut c).await.unwrap(), "a%b");
    // Named placeholders may repeat; `%%` is a literal `%` even without arguments.
    let (a, b, c2): (i64, String, i64) =
        amysql::query_as!((i64, String, i64), "SELECT %(x)s, CONCAT(%(s)s, '%%'), %(x)s", x = 7, s = "it's")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((a, b.as_str(), c2), (7, "it's%", 7));
    let name = String::from("O'Brien \\ \"q\"");
    // Arguments are moved in; `&name` lends.
    let echoed: String = amysql::query_scalar!("SELECT %s", &name).fetch_one(&mut c).await.unwrap();
    assert_eq!(echoed, name);
    let ids = vec![1, 2, 3];
    let n: i64 = amysql::query_scalar!("SELECT COUNT(*) FROM seq_1_to_10 WHERE seq IN %s", &ids)
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(amysql::query!("SELECT 1").sql(), "SELECT 1");
}

#[tokio::test]
async fn macros_honour_no_backslash_escapes_and_report_bad_values() {
    let mut c = conn().await;
    amysql::query!("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')").execute(&mut c).await.unwrap();
    let tricky = "a\\'; DROP TABLE x; --";
    let echoed: String = amysql::query_scalar!("SELECT %(v)s", v = tricky).fetch_one(&mut c).await.unwrap();
    assert_eq!(echoed, tricky);
    let empty: Vec<i64> = Vec::new();
    let e = amysql::query!("SELECT 1 FROM DUAL WHERE 1 IN %s", empty).execute(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("parameter #1"), "{e}");
    let e = amysql::query!("SELECT %(f)s", f = f64::NAN).execute(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("parameter `f`"), "{e}");
    // Nothing was sent for the failed queries.
    assert_eq!(amysql::query_scalar!(i64, "SELECT 5").fetch_one(&mut c).await.unwrap(), 5);
}

#[tokio::test]
async fn update_in_a_transaction_as_in_the_design() {
    let mut c = conn().await;
    let t = users_table(&mut c).await;
    let sql = format!("INSERT INTO {t} (id, user_name, email) VALUES (%(id)s, %(user_name)s, %(email)s)");
    let ann = User { id: 7, name: "ann".into(), email: None };
    amysql::query_with(&sql, &ann).execute(&mut c).await.unwrap();

    let mut tx = c.begin().await.unwrap();
    let e = Some("ann@example.com");
    // The macros need a literal; `t` is a runtime name, so the function form builds the
    // SQL here and the macro form below works on a fixed table.
    let r = amysql::query(&format!("UPDATE {t} SET email = %(email)s WHERE id = %(id)s"))
        .bind_named("email", e)
        .bind_named("id", 7)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(r.rows_affected, 1);
    amysql::query!("CREATE TEMPORARY TABLE macro_tx (id INT, email TEXT)").execute(&mut *tx).await.unwrap();
    amysql::query!("INSERT INTO macro_tx VALUES (7, NULL)").execute(&mut tx).await.unwrap();
    let r = amysql::query!("UPDATE macro_tx SET email = %(email)s WHERE id = %(id)s", email = e, id = 7)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(r.rows_affected, 1);
    tx.commit().await.unwrap();
    let u: Option<User> =
        amysql::query_as(&format!("SELECT * FROM {t} WHERE id = %s")).bind(7).fetch_optional(&mut c).await.unwrap();
    assert_eq!(u.unwrap().email.as_deref(), Some("ann@example.com"));
    c.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

#[derive(Debug, Params)]
#[amysql(rename_all = "camelCase")]
struct Audit {
    created_by: String,
    #[amysql(skip)]
    #[allow(dead_code)]
    ignored: u8,
}

#[derive(Debug, Params)]
struct Insert {
    #[amysql(flatten)]
    user: User,
    #[amysql(flatten)]
    audit: Audit,
    #[amysql(json)]
    tags: Vec<String>,
}

#[derive(Debug, Params)]
struct Positional(i64, &'static str);

#[tokio::test]
async fn derive_params_with_executemany_and_queries() {
    let mut c = conn().await;
    let t = users_table(&mut c).await;
    let rows: Vec<User> = (1..=3)
        .map(|id| User { id, name: format!("u{id}"), email: (id % 2 == 0).then(|| format!("u{id}@x")) })
        .collect();
    let mut cur = c.cursor();
    let n = cur
        .executemany(
            &format!("INSERT INTO {t} (id, user_name, email) VALUES (%(id)s, %(user_name)s, %(email)s)"),
            &rows,
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    drop(cur);
    let back: Vec<User> =
        amysql::query_as(&format!("SELECT id, user_name, email FROM {t} ORDER BY id")).fetch_all(&mut c).await.unwrap();
    assert_eq!(back, rows);

    // A struct may have fields the query does not use; flatten merges names.
    let insert =
        Insert { user: rows[0].clone(), audit: Audit { created_by: "me".into(), ignored: 0 }, tags: vec!["a".into()] };
    let got: (String, String, String) = amysql::query_as_with("SELECT %(user_name)s, %(createdBy)s, %(tags)s", &insert)
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(got, ("u1".into(), "me".into(), r#"["a"]"#.into()));
    let e = amysql::query_with("SELECT %(ignored)s", &insert).execute(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("missing named parameter `ignored`"), "{e}");
    let got: (i64, String) =
        amysql::query_as_with("SELECT %s, %s", Positional(4, "four")).fetch_one(&mut c).await.unwrap();
    assert_eq!(got, (4, "four".into()));
    c.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

// ---- an axum-shaped handler, without depending on axum ----

/// Stand-in for `axum::extract::State`.
struct State<S>(S);
/// Stand-in for `axum::Json`.
#[derive(Debug)]
struct Json<T>(T);

#[derive(Debug)]
struct AppError(amysql::Error);

impl From<amysql::Error> for AppError {
    fn from(e: amysql::Error) -> Self {
        AppError(e)
    }
}

#[derive(Debug, PartialEq, FromRow)]
struct Listed {
    id: u64,
    #[amysql(rename = "label")]
    name: String,
}

async fn list(State(pool): State<Pool>) -> Result<Json<Vec<Listed>>, AppError> {
    let limit = 3;
    let users =
        amysql::query_as!(Listed, "SELECT seq AS id, CONCAT('user ', seq) AS label FROM seq_1_to_10 LIMIT %s", limit)
            .fetch_all(&pool)
            .await?;
    Ok(Json(users))
}

async fn one(State(pool): State<Pool>, id: u64) -> Result<Json<Option<Listed>>, AppError> {
    let user = amysql::query_as!(Listed, "SELECT seq AS id, 'x' AS label FROM seq_1_to_10 WHERE seq = %(id)s", id = id)
        .fetch_optional(&pool)
        .await?;
    Ok(Json(user))
}

/// What axum requires of a handler's future.
fn assert_send_static<F: std::future::Future + Send + 'static>(f: F) -> F {
    f
}

#[tokio::test]
async fn query_as_macro_in_a_handler() {
    let pool = pool().await;
    let Json(users) = tokio::spawn(assert_send_static(list(State(pool.clone())))).await.unwrap().unwrap();
    assert_eq!(users.len(), 3);
    assert_eq!(users[2], Listed { id: 3, name: "user 3".into() });
    let Json(found) = assert_send_static(one(State(pool.clone()), 11)).await.unwrap();
    assert_eq!(found, None);
    let e = amysql::query_as!(Listed, "SELECT seq AS id FROM seq_1_to_2").fetch_all(&pool).await.unwrap_err();
    assert!(AppError::from(e).0.to_string().contains("no column `label` for field `Listed.name`"));
}

/// A handler that writes in a transaction: every borrowed executor keeps the future `Send`.
async fn rename(State(pool): State<Pool>, id: i64, name: String) -> Result<Json<u64>, AppError> {
    let mut tx = pool.begin().await?;
    amysql::query!("CREATE TEMPORARY TABLE IF NOT EXISTS renames (id BIGINT, name TEXT)").execute(&mut tx).await?;
    let r = amysql::query!("INSERT INTO renames VALUES (%(id)s, %(name)s)", id = id, name = &name)
        .execute(&mut *tx)
        .await?;
    let n: i64 = amysql::query_scalar!("SELECT COUNT(*) FROM renames WHERE name = %s", name).fetch_one(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(r.rows_affected + n as u64))
}

#[tokio::test]
async fn transaction_executors_in_a_spawned_handler() {
    let pool = pool().await;
    let Json(n) = tokio::spawn(assert_send_static(rename(State(pool), 1, "x".into()))).await.unwrap().unwrap();
    assert_eq!(n, 2);
}
