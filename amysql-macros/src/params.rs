//! `#[derive(Params)]`: a struct as a parameter set. Named fields are `%(name)s`
//! parameters (honouring `rename`, `rename_all`, `skip`, `json` and `flatten`); tuple
//! structs are positional `%s` parameters in field order.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index, Member};

use crate::attrs::{column_name, mentions_type_param, ContainerAttrs, Errors, FieldAttrs};

pub fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let container = ContainerAttrs::parse(&input.attrs, &mut errors);
    let Data::Struct(data) = &input.data else {
        errors.push(syn::Error::new_spanned(
            &input.ident,
            "Params can only be derived for structs (named fields are %(name)s parameters, \
             tuple fields %s parameters)",
        ));
        return errors.finish().map(|()| TokenStream::new());
    };
    let positional = matches!(data.fields, Fields::Unnamed(_));
    let mut names = Vec::new();
    let mut writes = Vec::new();
    let mut nested = Vec::new();
    let mut bounds = Vec::new();
    for (i, field) in data.fields.iter().enumerate() {
        // Attributes meant for FromRow (`default`, `try_from`) are accepted and ignored,
        // so that one struct can derive both.
        let attrs = FieldAttrs::parse(field, &mut errors);
        if attrs.skip.is_some() {
            continue;
        }
        let member = field.ident.clone().map_or_else(|| Member::Unnamed(Index::from(i)), Member::Named);
        let ty = &field.ty;
        let span = ty.span();
        let generic = mentions_type_param(ty, &input.generics);
        if attrs.flatten.is_some() {
            if positional {
                errors.push(syn::Error::new(
                    span,
                    "`flatten` needs named fields: it merges the named parameters of the field",
                ));
            }
            if generic {
                bounds.push(quote_spanned!(span=> #ty: ::amysql::Params));
            }
            nested.push(member);
            continue;
        }
        let value = if attrs.json.is_some() {
            if generic {
                bounds.push(quote_spanned!(span=> #ty: ::amysql::__private::Serialize));
            }
            quote_spanned!(span=> &::amysql::Json(&self.#member))
        } else {
            if generic {
                bounds.push(quote_spanned!(span=> #ty: ::amysql::ToSql));
            }
            quote_spanned!(span=> &self.#member)
        };
        writes.push(value);
        if !positional {
            names.push(column_name(field, &attrs, &container));
        }
    }
    errors.finish()?;

    let mut generics = input.generics.clone();
    let where_clause = generics.make_where_clause();
    for bound in bounds {
        where_clause.predicates.push(syn::parse2(bound)?);
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let name = &input.ident;
    let body = if positional { positional_body(&writes) } else { named_body(&names, &writes, &nested) };
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::amysql::Params for #name #ty_generics #where_clause {
                #body
            }
        };
    })
}

fn positional_body(writes: &[TokenStream]) -> TokenStream {
    let count = writes.len();
    let indices = 0..count;
    let indices2 = 0..count;
    quote! {
        fn positional_len(&self) -> ::core::option::Option<usize> {
            ::core::option::Option::Some(#count)
        }

        fn write_positional(
            &self,
            __index: usize,
            __out: &mut ::std::vec::Vec<u8>,
            __ctx: &::amysql::FormatContext,
        ) -> ::amysql::Result<()> {
            match __index {
                #(#indices => ::amysql::ToSql::write_sql(#writes, __out, __ctx),)*
                _ => ::core::result::Result::Err(::amysql::__private::no_positional(__index)),
            }
        }

        fn write_positional_binary(
            &self,
            __index: usize,
            __out: &mut ::std::vec::Vec<u8>,
        ) -> ::amysql::value::BinaryResult {
            match __index {
                #(#indices2 => ::amysql::ToSql::write_binary(#writes, __out),)*
                _ => ::core::result::Result::Ok(::core::option::Option::None),
            }
        }
    }
}

fn named_body(names: &[String], writes: &[TokenStream], nested: &[Member]) -> TokenStream {
    quote! {
        fn positional_len(&self) -> ::core::option::Option<usize> {
            ::core::option::Option::None
        }

        fn write_positional(
            &self,
            __index: usize,
            _: &mut ::std::vec::Vec<u8>,
            _: &::amysql::FormatContext,
        ) -> ::amysql::Result<()> {
            ::core::result::Result::Err(::amysql::__private::no_positional(__index))
        }

        fn write_named(
            &self,
            __name: &str,
            __out: &mut ::std::vec::Vec<u8>,
            __ctx: &::amysql::FormatContext,
        ) -> ::amysql::Result<bool> {
            match __name {
                #(#names => ::amysql::ToSql::write_sql(#writes, __out, __ctx).map(|()| true),)*
                _ => {
                    #(
                        if ::amysql::Params::write_named(&self.#nested, __name, __out, __ctx)? {
                            return ::core::result::Result::Ok(true);
                        }
                    )*
                    ::core::result::Result::Ok(false)
                }
            }
        }

        // A struct is a record, and a query often uses only some of its fields (as with
        // a dict in PyMySQL): reporting 0 here turns off the formatter's "unused named
        // parameter" check, which is meant for hand-built maps.
        fn write_named_binary(
            &self,
            __name: &str,
            __out: &mut ::std::vec::Vec<u8>,
        ) -> ::amysql::value::BinaryResult {
            match __name {
                #(#names => ::amysql::ToSql::write_binary(#writes, __out),)*
                _ => {
                    #(
                        if let ::core::option::Option::Some(__t) =
                            ::amysql::Params::write_named_binary(&self.#nested, __name, __out)?
                        {
                            return ::core::result::Result::Ok(::core::option::Option::Some(__t));
                        }
                    )*
                    ::core::result::Result::Ok(::core::option::Option::None)
                }
            }
        }

        fn named_len(&self) -> usize {
            0
        }

        fn named_keys(&self) -> ::std::vec::Vec<&str> {
            #[allow(unused_mut)]
            let mut __keys: ::std::vec::Vec<&str> = ::std::vec![#(#names),*];
            #(__keys.extend(::amysql::Params::named_keys(&self.#nested));)*
            __keys
        }
    }
}
