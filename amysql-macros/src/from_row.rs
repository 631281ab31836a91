//! `#[derive(FromRow)]`.
//!
//! The generated `Mapping` is a tuple with one entry per field that reads the row: a
//! column index (`usize`), `Option<usize>` for `default` fields (the column may be
//! absent), or the nested type's own mapping for `flatten`. `mapping` resolves names
//! once per result set; `from_row` then only indexes and decodes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index};

use crate::attrs::{column_name, mentions_type_param, ContainerAttrs, Errors, FieldAttrs};

pub fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let container = ContainerAttrs::parse(&input.attrs, &mut errors);
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        _ => {
            errors.push(syn::Error::new_spanned(
                &input.ident,
                "FromRow can only be derived for structs (named fields map by column name, \
                 tuple fields by position)",
            ));
            // Reported together with any attribute errors found above.
            return errors.finish().map(|()| TokenStream::new());
        }
    };
    let positional = matches!(fields, Fields::Unnamed(_));
    if let (true, Some((_, span))) = (positional, container.rename_all) {
        errors.push(syn::Error::new(span, "`rename_all` needs named fields: tuple struct fields are read by position"));
    }

    let name = &input.ident;
    let struct_name = name.to_string();
    let mut mapping_types = Vec::new();
    let mut mapping_exprs = Vec::new();
    let mut field_exprs = Vec::new();
    let mut bounds = Vec::new();
    // Tuple fields read consecutive columns; skipped and flattened fields take none.
    let mut next_position = 0usize;

    for (i, field) in fields.iter().enumerate() {
        let attrs = FieldAttrs::parse(field, &mut errors);
        if let (true, Some(lit)) = (positional, &attrs.rename) {
            errors.push(syn::Error::new_spanned(
                lit,
                "`rename` needs a named field: tuple struct fields are read by position",
            ));
        }
        let ty = &field.ty;
        let generic = mentions_type_param(ty, &input.generics);
        let field_name = field.ident.as_ref().map_or_else(|| i.to_string(), |i| i.to_string());
        let field_name = field_name.strip_prefix("r#").unwrap_or(&field_name).to_string();
        let slot = Index::from(mapping_types.len());
        let span = ty.span();

        if attrs.skip.is_some() {
            if generic {
                bounds.push(quote_spanned!(span=> #ty: ::core::default::Default));
            }
            field_exprs.push(quote_spanned!(span=> <#ty as ::core::default::Default>::default()));
            continue;
        }
        if attrs.flatten.is_some() {
            if generic {
                bounds.push(quote_spanned!(span=> #ty: ::amysql::FromRow));
            }
            mapping_types.push(quote_spanned!(span=> <#ty as ::amysql::FromRow>::Mapping));
            mapping_exprs.push(quote_spanned!(span=> <#ty as ::amysql::FromRow>::mapping(__columns)?));
            field_exprs.push(quote_spanned!(span=> <#ty as ::amysql::FromRow>::from_row(&__mapping.#slot, __row)?));
            continue;
        }

        // Where the column is: by name or by position, required or optional. The
        // required lookups carry the Rust type for the "missing column" message.
        let decode_ty = attrs.try_from.as_ref().map_or(ty, |(source, _)| source);
        let (index, index_ty) = match (positional, attrs.default.is_some()) {
            (true, optional) => {
                let position = next_position;
                next_position += 1;
                if optional {
                    (quote!(::amysql::__private::position(__columns, #position)), quote!(::core::option::Option<usize>))
                } else {
                    (
                        quote!(::amysql::__private::positional_column::<#decode_ty>(__columns, #position, #struct_name, #field_name)?),
                        quote!(usize),
                    )
                }
            }
            (false, true) => {
                let column = column_name(field, &attrs, &container);
                (quote!(__columns.index_of(#column)), quote!(::core::option::Option<usize>))
            }
            (false, false) => {
                let column = column_name(field, &attrs, &container);
                (
                    quote!(::amysql::__private::named_column::<#decode_ty>(__columns, #column, #struct_name, #field_name)?),
                    quote!(usize),
                )
            }
        };
        mapping_types.push(index_ty);
        mapping_exprs.push(index);

        if generic {
            bounds.extend(field_bounds(ty, &attrs));
        }
        let idx = if attrs.default.is_some() { quote!(__i) } else { quote!(__mapping.#slot) };
        // Spanned on the field type so that a missing FromSql / TryFrom / Deserialize
        // impl is reported at the field.
        let decoded = match (&attrs.try_from, attrs.json) {
            (Some((source, _)), _) => quote_spanned!(span=>
                ::amysql::__private::decode_try_from::<#source, #ty>(__row, #idx, #struct_name, #field_name)?),
            (None, Some(_)) => quote_spanned!(span=>
                ::amysql::__private::decode_json::<#ty>(__row, #idx, #struct_name, #field_name)?),
            (None, None) => quote_spanned!(span=>
                ::amysql::__private::decode_field::<#ty>(__row, #idx, #struct_name, #field_name)?),
        };
        let expr = if attrs.default.is_some() {
            quote! {
                match __mapping.#slot {
                    ::core::option::Option::Some(__i) => #decoded,
                    ::core::option::Option::None => <#ty as ::core::default::Default>::default(),
                }
            }
        } else {
            decoded
        };
        field_exprs.push(expr);
    }
    errors.finish()?;

    let construct = match fields {
        Fields::Named(named) => {
            let idents = named.named.iter().map(|f| f.ident.as_ref());
            quote!(Self { #(#idents: #field_exprs,)* })
        }
        Fields::Unnamed(_) => quote!(Self(#(#field_exprs,)*)),
        Fields::Unit => quote!(Self),
    };
    let mut generics = input.generics.clone();
    let where_clause = generics.make_where_clause();
    for bound in bounds {
        where_clause.predicates.push(syn::parse2(bound)?);
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    // Unused when the struct has no fields that read the row.
    let allow = quote!(#[allow(unused_variables, clippy::unused_unit)]);

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::amysql::FromRow for #name #ty_generics #where_clause {
                type Mapping = (#(#mapping_types,)*);

                #allow
                fn mapping(__columns: &::amysql::ColumnSet) -> ::amysql::Result<Self::Mapping> {
                    ::core::result::Result::Ok((#(#mapping_exprs,)*))
                }

                #allow
                #[inline]
                fn from_row(
                    __mapping: &Self::Mapping,
                    __row: &::amysql::RowRef<'_>,
                ) -> ::amysql::Result<Self> {
                    ::core::result::Result::Ok(#construct)
                }
            }
        };
    })
}

/// Where-clause bounds for a field whose type mentions a type parameter.
fn field_bounds(ty: &syn::Type, attrs: &FieldAttrs) -> Vec<TokenStream> {
    let span = ty.span();
    let mut out = Vec::new();
    match (&attrs.try_from, attrs.json) {
        (Some((source, _)), _) => {
            out.push(quote_spanned!(span=> #ty: ::core::convert::TryFrom<#source>));
            out.push(quote_spanned!(span=> <#ty as ::core::convert::TryFrom<#source>>::Error: ::core::fmt::Display));
        }
        (None, Some(_)) => out.push(quote_spanned!(span=> #ty: ::amysql::__private::DeserializeOwned)),
        (None, None) => out.push(quote_spanned!(span=> #ty: ::amysql::FromSql)),
    }
    if attrs.default.is_some() {
        out.push(quote_spanned!(span=> #ty: ::core::default::Default));
    }
    out
}
