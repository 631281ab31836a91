//! Migration sources: `<VERSION>_<description>.sql` files, or reversible
//! `<VERSION>_<description>.up.sql` / `.down.sql` pairs.

use std::borrow::Cow;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One migration: its version, description and SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub description: Cow<'static, str>,
    pub up: Cow<'static, str>,
    pub down: Option<Cow<'static, str>>,
}

impl Migration {
    /// For `migrate!`'s expansion: a migration embedded at compile time.
    pub const fn new_static(
        version: i64,
        description: &'static str,
        up: &'static str,
        down: Option<&'static str>,
    ) -> Self {
        let down = match down {
            Some(d) => Some(Cow::Borrowed(d)),
            None => None,
        };
        Migration { version, description: Cow::Borrowed(description), up: Cow::Borrowed(up), down }
    }

    /// SHA-256 of the up SQL: an applied migration whose file changed is refused.
    pub fn checksum(&self) -> [u8; 32] {
        Sha256::digest(self.up.as_bytes()).into()
    }
}

/// What a file name says: version, description, and which half of the pair it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FileName {
    pub version: i64,
    pub description: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Simple,
    Up,
    Down,
}

/// Parses `0001_create_users.sql`, `2_add_index.up.sql`; `None` for files that are not
/// migrations (README, editor backups), an error for a `.sql` file with a bad name.
pub(crate) fn parse_file_name(name: &str) -> Result<Option<FileName>> {
    let Some(stem) = name.strip_suffix(".sql") else { return Ok(None) };
    let (stem, kind) = if let Some(s) = stem.strip_suffix(".up") {
        (s, Kind::Up)
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, Kind::Down)
    } else {
        (stem, Kind::Simple)
    };
    let bad = || Error::Interface(format!("migration file `{name}` must be named <VERSION>_<description>.sql"));
    let (version, description) = stem.split_once('_').ok_or_else(bad)?;
    let version: i64 = version.parse().map_err(|_| bad())?;
    if version < 0 {
        return Err(bad());
    }
    Ok(Some(FileName { version, description: description.replace('_', " "), kind }))
}

/// Reads and orders the migrations of a directory.
pub fn read_dir(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Interface(format!("cannot read migrations directory `{}`: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Interface(format!("reading `{}`: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(parsed) = parse_file_name(&name)? {
            let sql = std::fs::read_to_string(entry.path())
                .map_err(|e| Error::Interface(format!("reading migration `{name}`: {e}")))?;
            files.push((parsed, sql));
        }
    }
    assemble(files)
}

/// Pairs up/down halves, checks versions are unique, orders by version.
pub(crate) fn assemble(files: Vec<(FileName, String)>) -> Result<Vec<Migration>> {
    let mut out: Vec<Migration> = Vec::new();
    let mut downs = Vec::new();
    for (f, sql) in files {
        match f.kind {
            Kind::Down => downs.push((f, sql)),
            Kind::Simple | Kind::Up => {
                if out.iter().any(|m| m.version == f.version) {
                    return Err(Error::Interface(format!("two migrations have version {}", f.version)));
                }
                out.push(Migration {
                    version: f.version,
                    description: f.description.into(),
                    up: sql.into(),
                    down: None,
                });
            }
        }
    }
    for (f, sql) in downs {
        let m = out
            .iter_mut()
            .find(|m| m.version == f.version)
            .ok_or_else(|| Error::Interface(format!("down migration {} has no up migration", f.version)))?;
        m.down = Some(sql.into());
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            parse_file_name("0001_create_users.sql").unwrap(),
            Some(FileName { version: 1, description: "create users".into(), kind: Kind::Simple })
        );
        assert_eq!(parse_file_name("20240101_x.down.sql").unwrap().unwrap().kind, Kind::Down);
        assert_eq!(parse_file_name("README.md").unwrap(), None);
        assert!(parse_file_name("create.sql").is_err());
        assert!(parse_file_name("v1_create.sql").is_err());
    }

    #[test]
    fn assemble_pairs_and_orders() {
        let f = |n: &str| parse_file_name(n).unwrap().unwrap();
        let ms = assemble(vec![
            (f("2_b.up.sql"), "UP2".into()),
            (f("1_a.sql"), "UP1".into()),
            (f("2_b.down.sql"), "DOWN2".into()),
        ])
        .unwrap();
        assert_eq!(ms.iter().map(|m| m.version).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(ms[1].down.as_deref(), Some("DOWN2"));
        assert!(assemble(vec![(f("1_a.sql"), "x".into()), (f("1_b.sql"), "y".into())]).is_err());
        assert!(assemble(vec![(f("3_c.down.sql"), "x".into())]).is_err());
    }
}
