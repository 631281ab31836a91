//! The per-connection cache of prepared statements behind
//! `ConnectOptions::stmt_cache_size`: SQL text → statement id, least recently used
//! evicted first. Evicted statements are closed lazily, with the next command, like
//! every other statement amysql stops using.

use std::collections::HashMap;
use std::sync::Arc;

use crate::row::ColumnSet;
use crate::value::prepared_sql::PreparedSql;

/// What the cache knows about one SQL text.
#[derive(Debug)]
pub(crate) enum Entry {
    /// Prepared on this connection.
    Prepared(Prepared),
    /// The server cannot prepare it (or prepares it differently than the placeholders
    /// say): it runs as text.
    TextOnly,
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
    templated: HashMap<String, Entry>,
    verbatim: HashMap<String, Entry>,
    /// Result columns per statement id: what the server last sent (or announced at
    /// prepare time), used when it skips resending them (MARIADB_CLIENT_CACHE_METADATA).
    columns: HashMap<u32, Arc<ColumnSet>>,
    clock: u64,
}

impl StmtCache {
    fn map(&mut self, verbatim: bool) -> &mut HashMap<String, Entry> {
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
        if let Entry::Prepared(p) = entry {
            p.last_used = now;
        }
        Some(entry)
    }

    /// Remembers that `sql` runs as text.
    pub(crate) fn insert_text_only(&mut self, sql: &str, verbatim: bool) {
        self.map(verbatim).insert(sql.to_string(), Entry::TextOnly);
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
        while self.prepared_count() > capacity.max(1) {
            match self.oldest() {
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

    fn prepared_count(&self) -> usize {
        self.templated.values().chain(self.verbatim.values()).filter(|e| matches!(e, Entry::Prepared(_))).count()
    }

    /// The least recently used prepared statement.
    fn oldest(&self) -> Option<(bool, String)> {
        let all = self.templated.iter().map(|e| (false, e)).chain(self.verbatim.iter().map(|e| (true, e)));
        all.filter_map(|(v, (k, e))| match e {
            Entry::Prepared(p) => Some((p.last_used, v, k)),
            Entry::TextOnly => None,
        })
        .min_by_key(|(used, _, _)| *used)
        .map(|(_, v, k)| (v, k.clone()))
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
        c.insert_text_only("d", false);
        assert_eq!(c.insert("e", false, 4, plan(), 2), [3]);
        assert!(matches!(c.get("d", false), Some(Entry::TextOnly)));
        // Templated and verbatim keys are distinct.
        assert!(c.get("a", true).is_none());
        c.clear();
        assert!(c.get("e", false).is_none());
    }

    #[test]
    fn replacing_an_entry_closes_the_old_statement() {
        let mut c = StmtCache::default();
        c.insert("a", false, 1, plan(), 4);
        assert_eq!(c.insert("a", false, 9, plan(), 4), [1]);
    }
}
