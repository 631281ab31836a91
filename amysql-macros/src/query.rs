//! `query!`, `query_as!` and `query_scalar!`.
//!
//! The SQL literal is split at compile time and checked against the arguments; the
//! expansion is a closure that writes the literal chunks and each argument's escaped
//! value in order, so formatting at run time is straight-line code with no parsing and
//! no name lookups (named placeholders are resolved to arguments here).

use std::collections::BTreeSet;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Index, LitStr, Token, Type};

use crate::attrs::Errors;
use crate::sql::{split, Piece, Style};

/// Which macro is expanding: it decides the leading type argument and the builder.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    QueryAs,
    QueryScalar,
}

enum Arg {
    Positional(Expr),
    Named(Ident, Expr),
}

pub struct Input {
    ty: Option<Type>,
    sql: LitStr,
    args: Vec<Arg>,
}

impl Input {
    pub fn parse(kind: Kind, input: ParseStream<'_>) -> syn::Result<Input> {
        let ty = match kind {
            Kind::Query => None,
            Kind::QueryAs => Some(parse_type_comma(input)?),
            // The type is optional: usually it is inferred from where the value goes.
            Kind::QueryScalar if input.peek(LitStr) => None,
            Kind::QueryScalar => Some(parse_type_comma(input)?),
        };
        let sql = input.parse::<LitStr>().map_err(|e| {
            syn::Error::new(e.span(), "expected the SQL as a string literal (it is checked at compile time)")
        })?;
        let mut args = Vec::new();
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
            let exprs = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
            for expr in exprs {
                args.push(match expr {
                    // `name = value`, as in `format!`: an assignment expression whose left
                    // side is a plain identifier.
                    Expr::Assign(assign) => {
                        let name = match &*assign.left {
                            Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
                            _ => None,
                        };
                        let name = name.ok_or_else(|| {
                            syn::Error::new_spanned(&assign.left, "expected a parameter name before `=`")
                        })?;
                        Arg::Named(name, *assign.right)
                    }
                    other => Arg::Positional(other),
                });
            }
        }
        Ok(Input { ty, sql, args })
    }
}

fn parse_type_comma(input: ParseStream<'_>) -> syn::Result<Type> {
    let ty = input.parse::<Type>()?;
    input.parse::<Token![,]>()?;
    Ok(ty)
}

pub fn expand(kind: Kind, input: Input) -> syn::Result<TokenStream> {
    let sql = &input.sql;
    let (style, pieces) = split(&sql.value()).map_err(|msg| syn::Error::new_spanned(sql, msg))?;
    let positional = pieces.iter().filter(|p| matches!(p, Piece::Positional)).count();
    let named: BTreeSet<&str> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Named(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    if positional > 0 && !named.is_empty() {
        return Err(syn::Error::new_spanned(sql, format!("{}; use one style", amysql_placeholders::MIXED_PERCENT)));
    }
    check_args(&input, style, positional, &named)?;

    // Each argument is evaluated once, in the order written, into a hygienic local.
    let exprs: Vec<&Expr> = input
        .args
        .iter()
        .map(|arg| match arg {
            Arg::Positional(e) | Arg::Named(_, e) => e,
        })
        .collect();
    // Hygienic names (mixed-site), located at the argument: any type error about the
    // local is then reported where the argument is written.
    let locals: Vec<Ident> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format_ident!("__amysql_arg{}", i, span = Span::mixed_site().located_at(e.span())))
        .collect();
    // `arg` requires `ToSql`; with the expression as its argument, a type that is not
    // `ToSql` is reported on the expression itself.
    let lets = exprs
        .iter()
        .zip(&locals)
        .map(|(expr, local)| quote_spanned!(expr.span()=> let #local = ::amysql::__private::arg(#expr);));
    let out = Ident::new("__out", Span::mixed_site());
    let ctx = Ident::new("__ctx", Span::mixed_site());
    // The arguments live in one tuple owned by the query; both writers borrow it.
    let a = Ident::new("__a", Span::mixed_site());
    let field = |i: usize| {
        let index = Index::from(i);
        quote!(#a.#index)
    };
    let mut next_positional = 0usize;
    let writes = pieces.iter().map(|piece| match piece {
        Piece::Literal(text) => {
            let bytes = Literal::byte_string(text.as_bytes());
            quote!(#out.extend_from_slice(#bytes);)
        }
        Piece::Positional => {
            let arg = field(next_positional);
            next_positional += 1;
            let number = next_positional;
            quote!(#arg.write_positional(#number, #out, #ctx)?;)
        }
        Piece::Named(name) => {
            let i = input
                .args
                .iter()
                .position(|a| matches!(a, Arg::Named(n, _) if n == name))
                .expect("check_args ensured every name has an argument");
            let arg = field(i);
            quote!(#arg.write_named(#name, #out, #ctx)?;)
        }
    });
    let writes: Vec<TokenStream> = writes.collect();
    // Without arguments nothing is escaped, so the charset check is not needed (the
    // runtime `query(sql)` sends such SQL without any check too).
    let check = (!input.args.is_empty()).then(|| quote!(::amysql::__private::check(#ctx)?;));
    let writer = quote! {
        |#a, #out: &mut ::std::vec::Vec<u8>, #ctx: &::amysql::FormatContext| -> ::amysql::Result<()> {
            #check
            #(#writes)*
            ::core::result::Result::Ok(())
        }
    };
    // The prepared-statement path asks for `?` number i (positional) or by name.
    let index = Ident::new("__index", Span::mixed_site());
    let name = Ident::new("__name", Span::mixed_site());
    let binary_arms: Vec<TokenStream> = if named.is_empty() {
        (0..positional)
            .map(|i| {
                let arg = field(i);
                quote!(#i => #arg.write_binary(#out),)
            })
            .collect()
    } else {
        input
            .args
            .iter()
            .enumerate()
            .filter_map(|(i, arg)| match arg {
                Arg::Named(n, _) => {
                    let key = n.to_string();
                    let arg = field(i);
                    Some(quote!(#key => #arg.write_binary(#out),))
                }
                Arg::Positional(_) => None,
            })
            .collect()
    };
    let selector = if named.is_empty() { quote!(#index) } else { quote!(#name) };
    let binary = quote! {
        |#a, #index: usize, #name: &str, #out: &mut ::std::vec::Vec<u8>| -> ::amysql::value::BinaryResult {
            let _ = (&#a, #index, #name, &#out);
            match #selector {
                #(#binary_arms)*
                _ => ::core::result::Result::Ok(::core::option::Option::None),
            }
        }
    };
    let shape = if named.is_empty() {
        quote!(::core::option::Option::Some(#positional))
    } else {
        quote!(::core::option::Option::None)
    };
    let names = named.len();
    let args = quote!(::amysql::__private::args((#(#locals,)*), #writer, #binary, #shape, #names));
    let ty = input.ty.as_ref().map_or_else(|| quote!(_), |t| quote!(#t));
    let build = match kind {
        Kind::Query => quote!(::amysql::__private::query(#sql, #args)),
        Kind::QueryAs => quote!(::amysql::__private::query_as::<#ty, _>(#sql, #args)),
        Kind::QueryScalar => quote!(::amysql::__private::query_scalar::<#ty, _>(#sql, #args)),
    };
    Ok(quote! {{
        #(#lets)*
        #build
    }})
}

/// Matches arguments to placeholders, reporting every mismatch.
fn check_args(input: &Input, style: Style, positional: usize, named: &BTreeSet<&str>) -> syn::Result<()> {
    let mut errors = Errors::default();
    // How the positional placeholder is written, for messages: `%s` or `?`.
    let mark = format!("`{}`", style.positional_mark());
    let placeholder = format!("{mark} placeholder");
    let sql = &input.sql;
    let uses_named = !named.is_empty();
    let mut given_positional = 0usize;
    let mut seen: Vec<&Ident> = Vec::new();
    for arg in &input.args {
        match arg {
            Arg::Positional(expr) if uses_named => errors.push(syn::Error::new_spanned(
                expr,
                "positional argument for a query with `%(name)s` placeholders; write `name = value`",
            )),
            Arg::Positional(expr) => {
                given_positional += 1;
                if given_positional == positional + 1 {
                    errors.push(syn::Error::new_spanned(
                        expr,
                        format!(
                            "too many arguments: the query has {} (extra arguments start here)",
                            count(positional, &placeholder)
                        ),
                    ));
                }
            }
            Arg::Named(name, _) => {
                if seen.contains(&name) {
                    errors.push(syn::Error::new_spanned(name, format!("duplicate argument `{name}`")));
                } else if !uses_named && positional > 0 {
                    errors.push(syn::Error::new_spanned(
                        name,
                        format!(
                            "named argument `{name}` for a query with {mark} placeholders; pass the value positionally"
                        ),
                    ));
                } else if !named.contains(name.to_string().as_str()) {
                    errors.push(syn::Error::new_spanned(
                        name,
                        format!("named argument `{name}` is not used by the query (no `%({name})s`)"),
                    ));
                }
                seen.push(name);
            }
        }
    }
    if given_positional < positional {
        let given = match given_positional {
            0 => "no arguments were given".to_string(),
            1 => "only 1 argument was given".to_string(),
            n => format!("only {n} arguments were given"),
        };
        errors.push(syn::Error::new_spanned(
            sql,
            format!("the query has {} but {given}", count(positional, &placeholder)),
        ));
    }
    for name in named {
        if !seen.iter().any(|s| s == name) {
            errors.push(syn::Error::new_spanned(sql, format!("no argument for `%({name})s`; add `{name} = ...`")));
        }
    }
    errors.finish()
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
