//! The per-connection cache of prepared statements behind
//! `ConnectOptions::stmt_cache_size`: SQL text → statement id, least recently used
//! evicted first. Evicted statements are closed lazily, with the next command, like
//! every other statement amysql stops using.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::row::ColumnSet;
use crate::value::prepared_sql::PreparedSql;

/// What the cache knows about one SQL text.
#[derive(Debug)]
pub(crate) enum Entry {
    /// Prepared on this connection.
    Prepared(Prepared),
    /// The server cannot prepare it (or prepares it differently than the placeholders
    /// say): it runs as text. Kept, like prepared entries, only while recently used.
    TextOnly { last_used: u64 },
}

impl Entry {
    fn last_used(&self) -> u64 {
        match self {
            Entry::Prepared(p) => p.last_used,
            Entry::TextOnly { last_used } => *last_used,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) id: u32,
    pub(crate) plan: PreparedSql,
    last_used: u64,
}

/// Keyed separately for queries with parameters (the SQL is a `%s` template) and
/// without (the SQL runs verbatim), which read the same text differently.
#[derive(Debug, Default)]
pub(crate) struct StmtCache {
    templated: Map<String, Entry>,
    verbatim: Map<String, Entry>,
    /// Result columns per statement id: what the server last sent (or announced at
    /// prepare time), used when it skips resending them (MARIADB_CLIENT_CACHE_METADATA).
    columns: Map<u32, Arc<ColumnSet>>,
    clock: u64,
}

/// The cache's maps hash with [`FxHasher`]: every query on a cached connection looks its
/// SQL up once, and SipHash cost ~400 instructions for a 45-byte statement.
type Map<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hash rustc uses for its own tables, 8 bytes per step. It does not
/// resist chosen collisions; it need not here: each map holds at most `stmt_cache_size`
/// entries (twice that with text-only ones), so colliding keys cost a short probe, not
/// unbounded work.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
        // The zero padding above would make "a" and "a\0" alike without the length.
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, v: u8) {
        self.add(u64::from(v));
    }

    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

impl StmtCache {
    fn map(&mut self, verbatim: bool) -> &mut Map<String, Entry> {
        if verbatim {
            &mut self.verbatim
        } else {
            &mut self.templated
        }
    }

    /// Looks `sql` up and marks it used.
    pub(crate) fn get(&mut self, sql: &str, verbatim: bool) -> Option<&Entry> {
        self.clock += 1;
        let now = self.clock;
        let entry = self.map(verbatim).get_mut(sql)?;
        match entry {
            Entry::Prepared(p) => p.last_used = now,
            Entry::TextOnly { last_used } => *last_used = now,
        }
        Some(entry)
    }

    /// Remembers that `sql` runs as text, keeping at most `capacity` such texts (a
    /// program that builds many distinct unpreparable statements must not grow the
    /// cache without bound).
    pub(crate) fn insert_text_only(&mut self, sql: &str, verbatim: bool, capacity: usize) {
        self.clock += 1;
        let entry = Entry::TextOnly { last_used: self.clock };
        self.map(verbatim).insert(sql.to_string(), entry);
        while self.count(false) > capacity.max(1) {
            let Some((v, key)) = self.oldest(false) else { break };
            self.map(v).remove(&key);
        }
    }

    /// Adds a prepared statement; returns the ids evicted to stay within `capacity`.
    pub(crate) fn insert(
        &mut self,
        sql: &str,
        verbatim: bool,
        id: u32,
        plan: PreparedSql,
        capacity: usize,
    ) -> Vec<u32> {
        self.clock += 1;
        let entry = Entry::Prepared(Prepared { id, plan, last_used: self.clock });
        let mut evicted = Vec::new();
        if let Some(Entry::Prepared(old)) = self.map(verbatim).insert(sql.to_string(), entry) {
            evicted.push(old.id);
        }
        while self.count(true) > capacity.max(1) {
            match self.oldest(true) {
                Some((v, key)) => {
                    if let Some(Entry::Prepared(p)) = self.map(v).remove(&key) {
                        evicted.push(p.id);
                    }
                }
                None => break,
            }
        }
        for id in &evicted {
            self.columns.remove(id);
        }
        evicted
    }

    /// Records the result columns of statement `id`.
    pub(crate) fn set_columns(&mut self, id: u32, columns: Arc<ColumnSet>) {
        self.columns.insert(id, columns);
    }

    /// The result columns last seen for statement `id`.
    pub(crate) fn columns(&self, id: u32) -> Option<Arc<ColumnSet>> {
        self.columns.get(&id).cloned()
    }

    /// Drops what is known of statement `id`'s columns (the statement is going away).
    pub(crate) fn forget_columns(&mut self, id: u32) {
        self.columns.remove(&id);
    }

    /// Entries of one kind: prepared statements, or text-only SQL.
    fn count(&self, prepared: bool) -> usize {
        let all = self.templated.values().chain(self.verbatim.values());
        all.filter(|e| matches!(e, Entry::Prepared(_)) == prepared).count()
    }

    /// The least recently used entry of one kind, as (verbatim, key).
    fn oldest(&self, prepared: bool) -> Option<(bool, String)> {
        let all = self.templated.iter().map(|e| (false, e)).chain(self.verbatim.iter().map(|e| (true, e)));
        all.filter(|(_, (_, e))| matches!(e, Entry::Prepared(_)) == prepared)
            .min_by_key(|(_, (_, e))| e.last_used())
            .map(|(v, (k, _))| (v, k.clone()))
    }

    /// Forgets every statement (the server dropped them: COM_RESET_CONNECTION,
    /// COM_CHANGE_USER). Returns nothing to close.
    pub(crate) fn clear(&mut self) {
        self.templated.clear();
        self.verbatim.clear();
        self.columns.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PreparedSql {
        PreparedSql::verbatim("SELECT 1")
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let mut c = StmtCache::default();
        assert!(c.insert("a", false, 1, plan(), 2).is_empty());
        assert!(c.insert("b", true, 2, plan(), 2).is_empty());
        assert!(c.get("a", false).is_some());
        // "b" is now the oldest.
        assert_eq!(c.insert("c", false, 3, plan(), 2), [2]);
        assert!(c.get("b", true).is_none());
        assert!(matches!(c.get("a", false), Some(Entry::Prepared(p)) if p.id == 1));
        // Text-only entries take no statement and are never evicted for one.
        c.insert_text_only("d", false, 2);
        assert_eq!(c.insert("e", false, 4, plan(), 2), [3]);
        assert!(matches!(c.get("d", false), Some(Entry::TextOnly { .. })));
        // Templated and verbatim keys are distinct.
        assert!(c.get("a", true).is_none());
        c.clear();
        assert!(c.get("e", false).is_none());
    }

    #[test]
    fn text_only_entries_are_bounded_too() {
        let mut c = StmtCache::default();
        c.insert("p", false, 1, plan(), 2);
        for i in 0..100 {
            c.insert_text_only(&format!("SELECT {i}; SELECT {i}"), true, 2);
        }
        assert_eq!(c.count(false), 2);
        assert!(c.get("SELECT 99; SELECT 99", true).is_some());
        assert!(c.get("SELECT 0; SELECT 0", true).is_none());
        // The prepared statement is not evicted to make room for text-only SQL.
        assert!(matches!(c.get("p", false), Some(Entry::Prepared(p)) if p.id == 1));
    }

    #[test]
    fn fx_hasher_tells_keys_apart() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = |s: &str| BuildHasherDefault::<FxHasher>::default().hash_one(s);
        assert_ne!(h("SELECT 1"), h("SELECT 2"));
        assert_ne!(h("SELECT ?"), h("SELECT ? "));
        assert_ne!(h(""), h("\0"));
        assert_ne!(h("a"), h("a\0"));
        assert_ne!(h("abcdefg"), h("abcdefg\x07"));
        assert_eq!(h("SELECT id, s FROM t WHERE id = ?"), h("SELECT id, s FROM t WHERE id = ?"));
    }

    #[test]
    fn replacing_an_entry_closes_the_old_statement() {
        let mut c = StmtCache::default();
        c.insert("a", false, 1, plan(), 4);
        assert_eq!(c.insert("a", false, 9, plan(), 4), [1]);
    }
}
