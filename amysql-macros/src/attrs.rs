//! `#[amysql(...)]` attributes shared by `#[derive(FromRow)]` and `#[derive(Params)]`.
//!
//! Both derives read the same attributes so that one struct can derive both: each
//! derive uses what applies to it (`Params` has no use for `default` or `try_from`)
//! instead of rejecting the other's attributes.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Field, LitStr, Type};

/// Collects every error instead of stopping at the first, so one compile shows them all.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// `rename_all` rules, named as serde names them so the values are familiar.
#[derive(Clone, Copy)]
pub enum RenameRule {
    Snake,
    Camel,
    Pascal,
    ScreamingSnake,
    Lower,
    Upper,
    Kebab,
    ScreamingKebab,
}

const RULES: &[(&str, RenameRule)] = &[
    ("snake_case", RenameRule::Snake),
    ("camelCase", RenameRule::Camel),
    ("PascalCase", RenameRule::Pascal),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    /// Applies the rule to a snake_case field name.
    pub fn apply(self, field: &str) -> String {
        let words = field.split('_').filter(|w| !w.is_empty());
        let capitalized = |w: &str| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        };
        match self {
            RenameRule::Snake | RenameRule::Lower => field.to_string(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.replace('_', "-").to_ascii_uppercase(),
            RenameRule::Pascal => words.map(capitalized).collect(),
            RenameRule::Camel => {
                let pascal: String = words.map(capitalized).collect();
                let mut c = pascal.chars();
                c.next().map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
            }
        }
    }
}

/// Attributes on the struct itself.
#[derive(Default)]
pub struct ContainerAttrs {
    pub rename_all: Option<(RenameRule, Span)>,
}

impl ContainerAttrs {
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
        let mut out = ContainerAttrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("amysql")) {
            let r = attr.parse_nested_meta(|meta| {
                if !meta.path.is_ident("rename_all") {
                    return Err(meta.error(format!(
                        "unknown amysql container attribute `{}`; expected `rename_all = \"...\"`",
                        path_name(&meta.path)
                    )));
                }
                let lit: LitStr = meta.value()?.parse()?;
                let Some((_, rule)) = RULES.iter().find(|(name, _)| *name == lit.value()) else {
                    let names: Vec<_> = RULES.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                    errors.push(syn::Error::new_spanned(
                        &lit,
                        format!("unknown rename_all rule; expected one of {}", names.join(", ")),
                    ));
                    return Ok(());
                };
                if out.rename_all.is_some() {
                    errors.push(syn::Error::new_spanned(&meta.path, "duplicate `rename_all` attribute"));
                }
                out.rename_all = Some((*rule, lit.span()));
                Ok(())
            });
            if let Err(e) = r {
                errors.push(e);
            }
        }
        out
    }
}

/// Attributes on one field. Each flag keeps its span for conflict errors.
#[derive(Default)]
pub struct FieldAttrs {
    pub rename: Option<LitStr>,
    pub default: Option<Span>,
    pub skip: Option<Span>,
    pub flatten: Option<Span>,
    pub try_from: Option<(Type, Span)>,
    pub json: Option<Span>,
}

const FIELD_ATTRS: &str = "rename, default, skip, flatten, try_from, json";

impl FieldAttrs {
    pub fn parse(field: &Field, errors: &mut Errors) -> FieldAttrs {
        let mut out = FieldAttrs::default();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("amysql")) {
            let r = attr.parse_nested_meta(|meta| {
                let path = &meta.path;
                let span = path.span();
                let dup = || syn::Error::new_spanned(path, format!("duplicate `{}` attribute", path_name(path)));
                let set_flag = |slot: &mut Option<Span>, errors: &mut Errors| {
                    if slot.replace(span).is_some() {
                        errors.push(dup());
                    }
                };
                if path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    if out.rename.replace(lit).is_some() {
                        errors.push(dup());
                    }
                } else if path.is_ident("try_from") {
                    let value = meta.value()?;
                    let lit: LitStr = value.parse().map_err(|e| {
                        syn::Error::new(e.span(), "expected a string naming a type: `try_from = \"i64\"`")
                    })?;
                    let ty: Type = lit.parse()?;
                    if out.try_from.replace((ty, span)).is_some() {
                        errors.push(dup());
                    }
                } else if path.is_ident("default") {
                    set_flag(&mut out.default, errors);
                } else if path.is_ident("skip") {
                    set_flag(&mut out.skip, errors);
                } else if path.is_ident("flatten") {
                    set_flag(&mut out.flatten, errors);
                } else if path.is_ident("json") {
                    set_flag(&mut out.json, errors);
                } else {
                    return Err(meta.error(format!(
                        "unknown amysql field attribute `{}`; expected one of {FIELD_ATTRS}",
                        path_name(path)
                    )));
                }
                Ok(())
            });
            if let Err(e) = r {
                errors.push(e);
            }
        }
        out.check_conflicts(errors);
        out
    }

    /// Pairs that have no sensible meaning together. Reported once per pair, on the
    /// second attribute of the pair.
    fn check_conflicts(&self, errors: &mut Errors) {
        let flags: [(&str, Option<Span>); 6] = [
            ("skip", self.skip),
            ("flatten", self.flatten),
            ("rename", self.rename.as_ref().map(LitStr::span)),
            ("default", self.default),
            ("try_from", self.try_from.as_ref().map(|(_, s)| *s)),
            ("json", self.json),
        ];
        let conflicts = |a: &str, b: &str| {
            matches!(
                (a, b),
                ("skip", _) | ("flatten", "rename" | "default" | "try_from" | "json") | ("try_from", "json")
            )
        };
        for (i, (a, a_span)) in flags.iter().enumerate() {
            for (b, b_span) in &flags[i + 1..] {
                if let (Some(_), Some(span)) = (a_span, b_span) {
                    if conflicts(a, b) {
                        errors.push(syn::Error::new(*span, format!("`{a}` and `{b}` cannot be combined")));
                    }
                }
            }
        }
    }
}

/// The column (or parameter) name for a named field: `rename`, else `rename_all`
/// applied to the field name (without `r#`).
pub fn column_name(field: &Field, attrs: &FieldAttrs, container: &ContainerAttrs) -> String {
    if let Some(lit) = &attrs.rename {
        return lit.value();
    }
    let ident = field.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
    let ident = ident.strip_prefix("r#").unwrap_or(&ident);
    match container.rename_all {
        Some((rule, _)) => rule.apply(ident),
        None => ident.to_string(),
    }
}

fn path_name(path: &syn::Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

/// True when `ty` mentions one of the struct's type parameters: only such fields get
/// where-clause bounds (as serde does), so concrete field types are checked where the
/// field is used and the error points at the field.
pub fn mentions_type_param(ty: &Type, generics: &syn::Generics) -> bool {
    let params: Vec<_> = generics.type_params().map(|p| p.ident.to_string()).collect();
    fn walk(tokens: proc_macro2::TokenStream, params: &[String]) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => params.iter().any(|p| i == p),
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(quote::quote!(#ty), &params)
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn rename_rules() {
        assert_eq!(Camel.apply("user_name_x"), "userNameX");
        assert_eq!(Pascal.apply("user_name"), "UserName");
        assert_eq!(ScreamingSnake.apply("user_name"), "USER_NAME");
        assert_eq!(Snake.apply("user_name"), "user_name");
        assert_eq!(Lower.apply("id"), "id");
        assert_eq!(Upper.apply("id"), "ID");
        assert_eq!(Kebab.apply("a_b"), "a-b");
        assert_eq!(ScreamingKebab.apply("a_b"), "A-B");
        assert_eq!(Camel.apply("id"), "id");
    }
}
