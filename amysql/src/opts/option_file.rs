//! MySQL option files (`my.cnf`): the `[client]` group plus one named group, with
//! `!include` and `!includedir`, as libmysqlclient reads them.
//!
//! Syntax handled (MySQL's "Using Option Files"):
//! - `[group]` headers; group names compare case-insensitively.
//! - `key = value`, `key=value`, or `key` alone; `_` and `-` in keys are the same.
//! - Comment lines start with `#` or `;`; in an unquoted value a `#` starts a comment.
//! - Values may be quoted with `"` or `'` (a `#` inside quotes is kept); the escapes
//!   `\b \t \n \r \\ \s \" \'` are understood, any other `\x` is kept as it is.
//! - `!include FILE` reads FILE at that point; `!includedir DIR` reads every `*.cnf`
//!   in DIR (and `*.ini` on Windows) in name order. Relative paths are taken relative
//!   to the directory of the file that names them.
//!
//! Only the keys amysql understands are kept; the rest of `[client]` (options of the
//! `mysql` command-line tool and such) is ignored, as libmysqlclient ignores it.
//! Errors name the file and the line, and never quote a line: any line may hold the
//! password.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Larger files are refused: an option file is a few hundred bytes, and reading one must
/// not be a way to exhaust memory.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// `!include` nesting deeper than this is refused (it is almost surely a loop through
/// differently spelled paths that the cycle check cannot see).
const MAX_INCLUDE_DEPTH: usize = 10;

/// The keys amysql takes from option files, by their canonical (dashed) name.
pub(crate) const KEYS: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "database",
    "socket",
    "default-character-set",
    "ssl-ca",
    "ssl-cert",
    "ssl-key",
    "ssl-mode",
    "connect-timeout",
];

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "option file {} line {}", self.file.display(), self.line)
    }
}

/// One setting as found in a file.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    pub key: &'static str,
    pub value: String,
    pub at: Location,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value may be the password.
        write!(f, "Setting({} at {})", self.key, self.at)
    }
}

fn err_at(file: &Path, line: usize, what: &str) -> Error {
    Error::Interface(format!("option file {} line {line}: {what}", file.display()))
}

fn err_file(file: &Path, what: impl std::fmt::Display) -> Error {
    Error::Interface(format!("option file {}: {what}", file.display()))
}

/// `~/x` becomes `$HOME/x` (PyMySQL expands `~` the same way).
pub(crate) fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    path.to_path_buf()
}

/// Reads `files` in order and returns the effective settings: for each key the last value
/// in the named `group`, else the last value in `[client]`. Later files, and later lines,
/// override earlier ones; the named group overrides `[client]` whatever the order.
pub(crate) fn read(files: &[PathBuf], group: Option<&str>) -> Result<Vec<Setting>> {
    let mut reader = FileReader { groups: group_list(group), found: Vec::new(), open: Vec::new() };
    for f in files {
        reader.read_file(&expand_home(f), 0)?;
    }
    Ok(effective(reader.found))
}

fn group_list(group: Option<&str>) -> Vec<String> {
    let mut groups = vec!["client".to_string()];
    if let Some(g) = group.map(str::trim).filter(|g| !g.is_empty() && !g.eq_ignore_ascii_case("client")) {
        groups.push(g.to_ascii_lowercase());
    }
    groups
}

/// Picks the winner per key: tier (named group over `[client]`), then order of reading.
fn effective(found: Vec<(usize, Setting)>) -> Vec<Setting> {
    let mut out: Vec<(usize, Setting)> = Vec::new();
    for (tier, s) in found {
        match out.iter_mut().find(|(_, o)| o.key == s.key) {
            Some(slot) if slot.0 <= tier => *slot = (tier, s),
            Some(_) => {}
            None => out.push((tier, s)),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

struct FileReader {
    /// Lowercased group names; the index is the tier.
    groups: Vec<String>,
    found: Vec<(usize, Setting)>,
    /// Files being read (the include chain), to refuse a file that includes itself.
    open: Vec<PathBuf>,
}

impl FileReader {
    fn read_file(&mut self, path: &Path, depth: usize) -> Result<()> {
        if depth > MAX_INCLUDE_DEPTH {
            return Err(err_file(path, format_args!("!include nested more than {MAX_INCLUDE_DEPTH} deep")));
        }
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.open.contains(&canonical) {
            return Err(err_file(path, "includes itself (an !include loop)"));
        }
        let text = load(path)?;
        self.open.push(canonical);
        let r = self.parse(path, &text, depth);
        self.open.pop();
        r
    }

    fn parse(&mut self, path: &Path, text: &str, depth: usize) -> Result<()> {
        // None: before any group header; Some(None): a group amysql does not read.
        let mut tier: Option<Option<usize>> = None;
        let base = path.parent().unwrap_or(Path::new("."));
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('!') {
                let (directive, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let target = arg.trim();
                if target.is_empty() {
                    return Err(err_at(path, line_no, &format!("`!{directive}` needs a path")));
                }
                let target = base.join(expand_home(Path::new(target)));
                match directive {
                    "include" => self.read_file(&target, depth + 1)?,
                    "includedir" => self.read_dir(path, line_no, &target, depth + 1)?,
                    _ => return Err(err_at(path, line_no, "unknown `!` directive (expected !include or !includedir)")),
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .split_once(']')
                    .map(|(n, _)| n.trim())
                    .ok_or_else(|| err_at(path, line_no, "unterminated group header (a `[` without `]`)"))?;
                if name.is_empty() {
                    return Err(err_at(path, line_no, "empty group name"));
                }
                let lower = name.to_ascii_lowercase();
                tier = Some(self.groups.iter().position(|g| *g == lower));
                continue;
            }
            let Some(current) = tier else {
                return Err(err_at(path, line_no, "an option before any [group] header"));
            };
            let (key, value) = match line.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (strip_comment(line).trim(), None),
            };
            if key.is_empty() {
                return Err(err_at(path, line_no, "a value without an option name"));
            }
            let Some(tier) = current else { continue };
            let canonical = key.replace('_', "-").to_ascii_lowercase();
            let Some(known) = KEYS.iter().copied().find(|k| *k == canonical) else { continue };
            let Some(value) = value else {
                // `password` alone asks the mysql tool to prompt; a library cannot.
                if known == "password" {
                    continue;
                }
                return Err(err_at(path, line_no, &format!("`{known}` needs a value")));
            };
            let value = unquote(value).map_err(|what| err_at(path, line_no, &format!("`{known}`: {what}")))?;
            self.found
                .push((tier, Setting { key: known, value, at: Location { file: path.to_path_buf(), line: line_no } }));
        }
        Ok(())
    }

    fn read_dir(&mut self, from: &Path, line: usize, dir: &Path, depth: usize) -> Result<()> {
        let entries = fs::read_dir(dir)
            .map_err(|e| err_at(from, line, &format!("cannot read !includedir {}: {e}", dir.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                p.is_file() && (ext == "cnf" || (cfg!(windows) && ext == "ini"))
            })
            .collect();
        files.sort();
        for f in files {
            self.read_file(&f, depth)?;
        }
        Ok(())
    }
}

fn load(path: &Path) -> Result<String> {
    let file = fs::File::open(path).map_err(|e| err_file(path, format_args!("cannot open: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err_file(path, format_args!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(err_file(path, format_args!("larger than {MAX_FILE_BYTES} bytes")));
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        err_at(path, line, "not valid UTF-8")
    })
}

fn strip_comment(s: &str) -> &str {
    s.split_once('#').map_or(s, |(before, _)| before)
}

/// The value of `key = value`: quotes removed, escapes applied, an unquoted trailing
/// `# comment` dropped. The error says what is wrong without quoting the value.
fn unquote(value: &str) -> std::result::Result<String, &'static str> {
    let mut chars = value.chars();
    let quote = match value.chars().next() {
        Some(q @ ('"' | '\'')) => {
            chars.next();
            Some(q)
        }
        _ => None,
    };
    let mut out = String::with_capacity(value.len());
    let mut closed = quote.is_none();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => out.push('\u{8}'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('s') => out.push(' '),
                Some(e @ ('\\' | '"' | '\'')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            c if Some(c) == quote => {
                closed = true;
                let rest = chars.as_str().trim_start();
                if !(rest.is_empty() || rest.starts_with('#')) {
                    return Err("text after the closing quote");
                }
                break;
            }
            '#' if quote.is_none() => break,
            c => out.push(c),
        }
    }
    if !closed {
        return Err("unterminated quote");
    }
    if quote.is_none() {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("amysql-optfile-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn get<'a>(s: &'a [Setting], key: &str) -> Option<&'a str> {
        s.iter().find(|s| s.key == key).map(|s| s.value.as_str())
    }

    #[test]
    fn values_quotes_escapes_and_comments() {
        assert_eq!(unquote("plain").unwrap(), "plain");
        assert_eq!(unquote("a b  # comment").unwrap(), "a b");
        assert_eq!(unquote("\"a # b\"  # c").unwrap(), "a # b");
        assert_eq!(unquote("'it\\'s'").unwrap(), "it's");
        assert_eq!(unquote("x\\sy\\tz\\\\").unwrap(), "x y\tz\\");
        assert_eq!(unquote("C:\\dir").unwrap(), "C:\\dir");
        assert_eq!(unquote("\"open").unwrap_err(), "unterminated quote");
        assert_eq!(unquote("\"a\" b").unwrap_err(), "text after the closing quote");
    }

    #[test]
    fn client_then_named_group_later_lines_win() {
        let d = tmp("groups");
        let f = write(
            &d,
            "my.cnf",
            "# comment\n[client]\nhost = from-client\nport=3307\nuser = c\n\
             [app]\nuser = a\nhost = from-app\n[mysql]\nuser = ignored\nno-auto-rehash\n\
             [client]\nport = 3308\nfrobnicate = 1\n[APP]\npassword = \"p # w\"\n",
        );
        let s = read(std::slice::from_ref(&f), Some("app")).unwrap();
        assert_eq!(get(&s, "host"), Some("from-app"));
        assert_eq!(get(&s, "user"), Some("a"));
        assert_eq!(get(&s, "port"), Some("3308"));
        assert_eq!(get(&s, "password"), Some("p # w"));
        // Without a group: [client] only.
        let s = read(&[f], None).unwrap();
        assert_eq!((get(&s, "host"), get(&s, "user"), get(&s, "password")), (Some("from-client"), Some("c"), None));
    }

    #[test]
    fn includes_and_includedir_in_order() {
        let d = tmp("include");
        fs::create_dir_all(d.join("conf.d")).unwrap();
        write(&d, "conf.d/20-b.cnf", "[client]\nuser = from-b\n");
        write(&d, "conf.d/10-a.cnf", "[client]\nuser = from-a\nsocket = /a.sock\n");
        write(&d, "conf.d/ignored.txt", "[client]\nuser = txt\n");
        write(&d, "extra.cnf", "[client]\nport = 4000\ndatabase = inc\n");
        let main =
            write(&d, "my.cnf", "[client]\nport = 1\n!include extra.cnf\ndatabase = after\n!includedir conf.d\n");
        let s = read(&[main], None).unwrap();
        assert_eq!(get(&s, "port"), Some("4000"), "the include overrides what came before it");
        assert_eq!(get(&s, "database"), Some("after"), "what follows the include overrides it");
        assert_eq!(get(&s, "user"), Some("from-b"), "includedir reads in name order");
        assert_eq!(get(&s, "socket"), Some("/a.sock"));
        // Later files win.
        let second = write(&d, "second.cnf", "[client]\nport = 5000\n");
        let s = read(&[d.join("my.cnf"), second], None).unwrap();
        assert_eq!(get(&s, "port"), Some("5000"));
    }

    #[test]
    fn errors_name_file_and_line_never_the_value() {
        let d = tmp("errors");
        let secret = "Zq8#Wv3";
        for (text, line, what) in [
            (format!("password = {secret}\n"), 1, "before any [group]"),
            (format!("[client]\n\npassword = \"{secret}\n"), 3, "unterminated quote"),
            (format!("[client]\npassword = '{secret}' x{secret}\n"), 2, "after the closing quote"),
            (format!("[client\npassword={secret}\n"), 1, "unterminated group"),
            (format!("[client]\n= {secret}\n"), 2, "without an option name"),
            (format!("[client]\n!include\npassword={secret}\n"), 2, "needs a path"),
            (format!("[client]\n!frob x\npassword={secret}\n"), 2, "unknown `!` directive"),
            ("[client]\nport\n".to_string(), 2, "`port` needs a value"),
        ] {
            let f = write(&d, "bad.cnf", &text);
            let e = read(std::slice::from_ref(&f), None).unwrap_err();
            let msg = format!("{e} {e:?}");
            assert!(msg.contains(&format!("{} line {line}", f.display())), "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(!msg.contains("Zq8") && !msg.contains("Wv3"), "{msg}");
        }
        let e = read(&[d.join("missing.cnf")], None).unwrap_err();
        assert!(e.to_string().contains("missing.cnf") && e.to_string().contains("cannot open"), "{e}");
        let f = write(&d, "loop.cnf", "[client]\n!include loop.cnf\n");
        assert!(read(&[f], None).unwrap_err().to_string().contains("includes itself"));
        let f = d.join("latin1.cnf");
        fs::write(&f, b"[client]\nuser = x\npassword = caf\xe9\n").unwrap();
        assert!(read(&[f], None).unwrap_err().to_string().contains("line 3: not valid UTF-8"));
    }
}
