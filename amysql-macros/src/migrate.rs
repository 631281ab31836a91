//! `migrate!("dir")`: embeds a migrations directory into a `Migrator` at compile time.
//!
//! The files are pulled in with `include_str!`, so editing one recompiles the crate that
//! embeds it. A file added to the directory is only seen after the crate is rebuilt for
//! another reason (cargo cannot watch a directory from a proc macro).

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

struct File {
    version: i64,
    description: String,
    up: Option<PathBuf>,
    down: Option<PathBuf>,
}

/// `<VERSION>_<description>[.up|.down].sql`; `Ok(None)` for other files.
fn parse_name(name: &str) -> Result<Option<(i64, String, Option<bool>)>, String> {
    let Some(stem) = name.strip_suffix(".sql") else { return Ok(None) };
    let (stem, up) = match (stem.strip_suffix(".up"), stem.strip_suffix(".down")) {
        (Some(s), _) => (s, Some(true)),
        (_, Some(s)) => (s, Some(false)),
        _ => (stem, None),
    };
    let bad = || format!("migration file `{name}` must be named <VERSION>_<description>.sql");
    let (version, description) = stem.split_once('_').ok_or_else(bad)?;
    let version: i64 = version.parse().ok().filter(|v| *v >= 0).ok_or_else(bad)?;
    Ok(Some((version, description.replace('_', " "), up)))
}

fn collect(dir: &Path) -> Result<Vec<File>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read migrations directory `{}`: {e}", dir.display()))?;
    let mut files: Vec<File> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((version, description, up)) = parse_name(&name)? else { continue };
        let idx = match files.iter().position(|f| f.version == version) {
            Some(i) => i,
            None => {
                files.push(File { version, description: description.clone(), up: None, down: None });
                files.len() - 1
            }
        };
        let f = &mut files[idx];
        let slot = if up == Some(false) { &mut f.down } else { &mut f.up };
        if slot.is_some() {
            return Err(format!("two migrations have version {version}"));
        }
        if up != Some(false) {
            f.description = description;
        }
        *slot = Some(path);
    }
    if let Some(f) = files.iter().find(|f| f.up.is_none()) {
        return Err(format!("down migration {} has no up migration", f.version));
    }
    files.sort_by_key(|f| f.version);
    Ok(files)
}

pub fn expand(lit: LitStr) -> syn::Result<TokenStream> {
    let base = std::env::var("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let dir = base.join(lit.value());
    let files = collect(&dir).map_err(|e| syn::Error::new(lit.span(), e))?;
    let items = files.iter().map(|f| {
        let (version, description) = (f.version, &f.description);
        let up = f.up.as_ref().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        let down = match &f.down {
            Some(p) => {
                let p = p.to_string_lossy().into_owned();
                quote!(::core::option::Option::Some(::core::include_str!(#p)))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            ::amysql::migrate::Migration::new_static(#version, #description, ::core::include_str!(#up), #down)
        }
    });
    let count = files.len();
    // `Migration` holds `Cow`s, which have destructors, so a `&[..]` literal cannot be
    // promoted to 'static; a named static can be borrowed instead.
    Ok(quote! {
        {
            static MIGRATIONS: [::amysql::migrate::Migration; #count] = [#(#items),*];
            ::amysql::migrate::Migrator::from_static(&MIGRATIONS)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("0002_add_index.up.sql").unwrap(), Some((2, "add index".into(), Some(true))));
        assert_eq!(parse_name("3_x.sql").unwrap(), Some((3, "x".into(), None)));
        assert_eq!(parse_name("notes.txt").unwrap(), None);
        assert!(parse_name("x_y.sql").is_err());
    }
}
