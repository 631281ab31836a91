//! Procedural macros for `amysql`. Users reach these through `amysql::FromRow`,
//! `amysql::Params`, `amysql::query!` and friends; this crate is an implementation
//! detail, and everything it generates names amysql by absolute paths (`::amysql::..`).
//!
//! The entry points stay thin: parse, expand, and turn every collected error into
//! `compile_error!`s spanned on the offending tokens.
#![forbid(unsafe_code)]

mod attrs;
mod from_row;
mod migrate;
mod params;
mod query;
mod sql;

use proc_macro::TokenStream;
use syn::parse::Parser;
use syn::{parse_macro_input, DeriveInput};

use query::{Input, Kind};

/// Derives [`FromRow`](trait.FromRow.html): a result row decoded into the struct.
///
/// Named fields read the column of the same name (an exact match first, then ASCII
/// case-insensitive, as MySQL compares column names); tuple-struct fields read the
/// columns in order. Names are resolved to column positions once per result set; each
/// row is then decoded straight from its bytes.
///
/// | attribute | on | effect |
/// |---|---|---|
/// | `rename_all = "..."` | struct | column names from field names: `"snake_case"`, `"camelCase"`, `"PascalCase"`, `"SCREAMING_SNAKE_CASE"`, `"lowercase"`, `"UPPERCASE"`, `"kebab-case"`, `"SCREAMING-KEBAB-CASE"` |
/// | `rename = "col"` | field | read column `col` |
/// | `default` | field | a missing column gives `Default::default()` (a NULL in a present column is still decoded as usual) |
/// | `skip` | field | not read at all; `Default::default()` |
/// | `flatten` | field | a nested `FromRow` type reading the same row |
/// | `try_from = "T"` | field | decode the column as `T`, then `TryFrom<T>` (its error must be `Display`) |
/// | `json` | field | the column's JSON text, deserialized with serde into the field's type (SQL NULL reads as JSON `null`, so `Option<T>` gets `None`) |
///
/// In a tuple struct, `skip` and `flatten` fields take no position of their own.
/// Generic structs get the bounds their fields need (`T: FromSql`, `T: FromRow`, ...).
/// A missing column or an undecodable value is an error that names the column, the
/// field and both types: ``no column `user_name` for field `User.name` (String)``.
///
/// ```no_run
/// # async fn demo(pool: &amysql::Pool) -> amysql::Result<()> {
/// #[derive(amysql::FromRow)]
/// #[amysql(rename_all = "camelCase")]
/// struct Order {
///     order_id: u64,                               // column `orderId`
///     #[amysql(rename = "total_cents")]
///     total: i64,
///     #[amysql(default)]
///     note: Option<String>,                        // may be absent from the SELECT
///     #[amysql(try_from = "String")]
///     currency: Currency,
///     #[amysql(json)]
///     items: Vec<String>,                          // a JSON column
/// }
/// # struct Currency;
/// # impl TryFrom<String> for Currency { type Error = String; fn try_from(_: String) -> Result<Self, String> { Ok(Currency) } }
/// let orders: Vec<Order> = amysql::query_as("SELECT * FROM orders").fetch_all(pool).await?;
/// # Ok(()) }
/// ```
#[proc_macro_derive(FromRow, attributes(amysql))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_row::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Derives [`Params`](trait.Params.html): the struct as a query's parameter set.
///
/// A struct with named fields gives `%(name)s` parameters (the same `rename`,
/// `rename_all`, `skip`, `flatten` and `json` attributes as `FromRow`; `default` and
/// `try_from` are ignored, so one struct can derive both). A query may use any subset
/// of the fields, as with a dict in PyMySQL. A tuple struct gives `%s` parameters in
/// field order.
///
/// ```no_run
/// # async fn demo(conn: &mut amysql::Connection) -> amysql::Result<()> {
/// #[derive(amysql::Params)]
/// struct NewUser { id: i64, name: String }
///
/// let users = vec![NewUser { id: 1, name: "ann".into() }, NewUser { id: 2, name: "bob".into() }];
/// conn.cursor().executemany("INSERT INTO users (id, name) VALUES (%(id)s, %(name)s)", &users).await?;
/// amysql::query_with("UPDATE users SET name = %(name)s WHERE id = %(id)s", &users[0]).execute(conn).await?;
/// # Ok(()) }
/// ```
#[proc_macro_derive(Params, attributes(amysql))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    params::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// A query whose SQL is checked at compile time: `query!("SQL", args..)`.
///
/// The SQL must be a string literal. Its placeholders are `%s` (positional arguments)
/// or `%(name)s` (`name = value` arguments, any number of uses each), and `%%` is a
/// literal `%`: unlike `query(sql)` without parameters, the literal is always parsed,
/// so a lone `%` is a compile error. The number of arguments, the names, and that each
/// argument is `ToSql` are all checked where they are written. Arguments are evaluated
/// once, in order, and moved into the query (pass `&value` to lend).
///
/// At run time the pre-split SQL chunks and the escaped values are written straight
/// into the connection's send buffer. Expands to an [`amysql::Query`](struct.Query.html),
/// so `.execute(..)`, `.fetch_all(..)` and the rest work on any `Executor`.
///
/// ```no_run
/// # async fn demo(tx: &mut amysql::Transaction<'_>, e: &str) -> amysql::Result<()> {
/// let r = amysql::query!("UPDATE users SET email = %(email)s WHERE id = %(id)s", email = e, id = 7)
///     .execute(&mut *tx)
///     .await?;
/// # Ok(()) }
/// ```
#[proc_macro]
pub fn query(input: TokenStream) -> TokenStream {
    expand_query(Kind::Query, input)
}

/// [`query!`] whose rows decode into a `FromRow` type: `query_as!(Type, "SQL", args..)`.
///
/// ```no_run
/// # #[derive(amysql::FromRow)] struct User { id: i64 }
/// # async fn demo(conn: &mut amysql::Connection) -> amysql::Result<()> {
/// let u: Option<User> = amysql::query_as!(User, "SELECT id FROM users WHERE id = %s", 7)
///     .fetch_optional(conn)
///     .await?;
/// # Ok(()) }
/// ```
#[proc_macro]
pub fn query_as(input: TokenStream) -> TokenStream {
    expand_query(Kind::QueryAs, input)
}

/// [`query!`] returning the first column: `query_scalar!("SQL", args..)`, or
/// `query_scalar!(Type, "SQL", args..)` where nothing else fixes the type.
///
/// ```no_run
/// # async fn demo(pool: &amysql::Pool) -> amysql::Result<()> {
/// let n: i64 = amysql::query_scalar!("SELECT COUNT(*) FROM users").fetch_one(pool).await?;
/// # Ok(()) }
/// ```
#[proc_macro]
pub fn query_scalar(input: TokenStream) -> TokenStream {
    expand_query(Kind::QueryScalar, input)
}

fn expand_query(kind: Kind, input: TokenStream) -> TokenStream {
    (|stream: syn::parse::ParseStream<'_>| Input::parse(kind, stream))
        .parse(input)
        .and_then(|input| query::expand(kind, input))
        .unwrap_or_else(|e| {
            // In expression position several `compile_error!`s in a row do not parse;
            // as statements of a block they do, and each is reported.
            let errors = e.into_compile_error();
            quote::quote!({ #errors })
        })
        .into()
}

/// Embeds a migrations directory (relative to the crate's `Cargo.toml`) into an
/// `amysql::migrate::Migrator`:
///
/// ```ignore
/// static MIGRATOR: amysql::migrate::Migrator = amysql::migrate!("../migrations");
/// ```
#[proc_macro]
pub fn migrate(input: TokenStream) -> TokenStream {
    let lit = syn::parse_macro_input!(input as syn::LitStr);
    migrate::expand(lit).unwrap_or_else(syn::Error::into_compile_error).into()
}
