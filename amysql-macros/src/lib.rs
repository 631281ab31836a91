//! Procedural macros for `amysql`. Users reach these through `amysql::FromRow`,
//! `amysql::Params`, `amysql::query!` and friends; this crate is an implementation
//! detail, and everything it generates names amysql by absolute paths (`::amysql::..`).
//!
//! The entry points stay thin: parse, expand, and turn every collected error into
//! `compile_error!`s spanned on the offending tokens.
#![forbid(unsafe_code)]

mod attrs;
mod from_row;
mod params;
mod query;
mod sql;

use proc_macro::TokenStream;
use syn::parse::Parser;
use syn::{parse_macro_input, DeriveInput};

use query::{Input, Kind};

/// See `amysql::FromRow`.
#[proc_macro_derive(FromRow, attributes(amysql))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_row::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// See `amysql::Params`.
#[proc_macro_derive(Params, attributes(amysql))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    params::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// See `amysql::query!`.
#[proc_macro]
pub fn query(input: TokenStream) -> TokenStream {
    expand_query(Kind::Query, input)
}

/// See `amysql::query_as!`.
#[proc_macro]
pub fn query_as(input: TokenStream) -> TokenStream {
    expand_query(Kind::QueryAs, input)
}

/// See `amysql::query_scalar!`.
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
