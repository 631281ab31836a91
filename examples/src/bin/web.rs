//! `web`: an axum service over an amysql pool.
//!
//! - `GET  /users`          list users (typed `query_as!` into `User`)
//! - `GET  /users/{id}`     one user, 404 when absent
//! - `POST /users`          create `{"name": .., "email": ..}` → 201 with the id (409 on a duplicate name)
//! - `GET  /accounts/{id}`  an account's balance
//! - `POST /transfers`      `{"from": 1, "to": 2, "amount": "12.50"}` moves money inside a
//!   transaction guard; insufficient funds → 409 and nothing changes.
//!
//! Every request runs in a `request` span; amysql's spans (`acquire`, `query`, `begin`,
//! `commit`, ...) nest inside it with OpenTelemetry field names. They are printed to
//! stderr as each span closes (`RUST_LOG`-style filtering is left out to keep the
//! example small: amysql and the request spans at INFO).
//!
//! Migrations from `migrations/` are applied at start-up. Set `DATABASE_URL`; `PORT`
//! (default 0: any free port) picks the port; the first line printed is
//! `listening on http://127.0.0.1:<port>`.

use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use amysql::migrate::Migrator;
use amysql::{Pool, PoolOptions};

static MIGRATOR: Migrator = amysql::migrate!("../migrations");

#[derive(Debug, Serialize, amysql::FromRow)]
struct User {
    id: i64,
    #[amysql(rename = "user_name")]
    name: String,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NewUser {
    name: String,
    email: Option<String>,
}

#[derive(Debug, Serialize, amysql::FromRow)]
struct Account {
    id: i64,
    user_id: i64,
    balance: Decimal,
}

#[derive(Debug, Deserialize)]
struct TransferRequest {
    from: i64,
    to: i64,
    amount: Decimal,
}

/// Errors as HTTP responses: a handler never panics, and a database error never leaks
/// connection details (amysql errors carry no passwords).
#[derive(Debug)]
enum AppError {
    NotFound(&'static str),
    Conflict(String),
    BadRequest(&'static str),
    Database(amysql::Error),
}

impl From<amysql::Error> for AppError {
    fn from(e: amysql::Error) -> Self {
        match e.as_server().map(|s| s.code()) {
            // ER_DUP_ENTRY
            Some(1062) => AppError::Conflict("already exists".into()),
            _ => AppError::Database(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            AppError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what} not found")),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.to_string()),
            AppError::Database(e) => {
                tracing::error!(error = %e, "database error");
                let status = match e {
                    amysql::Error::PoolTimedOut => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, "database error".to_string())
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

async fn list_users(State(pool): State<Pool>) -> Result<Json<Vec<User>>, AppError> {
    let users = amysql::query_as!(User, "SELECT id, user_name, email FROM users ORDER BY id").fetch_all(&pool).await?;
    Ok(Json(users))
}

async fn get_user(State(pool): State<Pool>, Path(id): Path<i64>) -> Result<Json<User>, AppError> {
    amysql::query_as!(User, "SELECT id, user_name, email FROM users WHERE id = %s", id)
        .fetch_optional(&pool)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("user"))
}

async fn create_user(
    State(pool): State<Pool>,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    if new.name.is_empty() || new.name.len() > 64 {
        return Err(AppError::BadRequest("name must be 1 to 64 characters"));
    }
    let done = amysql::query!(
        "INSERT INTO users (user_name, email) VALUES (%(name)s, %(email)s)",
        name = new.name,
        email = new.email
    )
    .execute(&pool)
    .await?;
    let id = done.last_insert_id.unwrap_or_default();
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

async fn get_account(State(pool): State<Pool>, Path(id): Path<i64>) -> Result<Json<Account>, AppError> {
    amysql::query_as!(Account, "SELECT id, user_id, balance FROM accounts WHERE id = %s", id)
        .fetch_optional(&pool)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("account"))
}

/// Moves money between two accounts. The guard rolls back on every early return (`?`,
/// insufficient funds, a client that hangs up and cancels the handler).
async fn transfer(
    State(pool): State<Pool>,
    Json(t): Json<TransferRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    if t.amount <= Decimal::ZERO {
        return Err(AppError::BadRequest("amount must be positive"));
    }
    if t.from == t.to {
        return Err(AppError::BadRequest("from and to must differ"));
    }
    let mut tx = pool.begin().await?;
    // Lock both rows in id order so that concurrent transfers cannot deadlock.
    let (first, second) = if t.from < t.to { (t.from, t.to) } else { (t.to, t.from) };
    let locked = amysql::query_as!(
        Account,
        "SELECT id, user_id, balance FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
        first,
        second
    )
    .fetch_all(&mut tx)
    .await?;
    let from = locked.iter().find(|a| a.id == t.from).ok_or(AppError::NotFound("account"))?;
    if !locked.iter().any(|a| a.id == t.to) {
        return Err(AppError::NotFound("account"));
    }
    if from.balance < t.amount {
        return Err(AppError::Conflict(format!("insufficient funds: balance {}", from.balance)));
    }
    amysql::query!("UPDATE accounts SET balance = balance - %s WHERE id = %s", t.amount, t.from)
        .execute(&mut tx)
        .await?;
    amysql::query!("UPDATE accounts SET balance = balance + %s WHERE id = %s", t.amount, t.to).execute(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(serde_json::json!({ "from": t.from, "to": t.to, "amount": t.amount })))
}

/// A span per request: the parent of the pool's `acquire` and the statements' spans.
async fn request_span(req: Request, next: Next) -> Response {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), status = tracing::field::Empty);
    let response = next.run(req).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    response
}

fn app(pool: Pool) -> Router {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/accounts/{id}", get(get_account))
        .route("/transfers", post(transfer))
        .layer(middleware::from_fn(request_span))
        .with_state(pool)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Spans are printed when they close, with their fields and timings.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_max_level(tracing::Level::INFO)
        .init();
    let url =
        std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL, e.g. mysql://user:pw@127.0.0.1:3306/test")?;
    // Handlers run the same few SQL texts over and over: prepare each once per pooled
    // connection and exchange binary rows (the `query_as!` calls below are unchanged).
    let opts = url.parse::<amysql::ConnectOptions>()?.stmt_cache_size(64);
    let pool =
        amysql::create_pool(&opts, PoolOptions::new().minsize(1).maxsize(8).acquire_timeout(Duration::from_secs(5)))
            .await?;
    let applied = MIGRATOR.run(&pool).await?;
    eprintln!("migrations applied: {applied:?}");

    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(pool.clone()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    pool.close();
    pool.wait_closed().await?;
    Ok(())
}
