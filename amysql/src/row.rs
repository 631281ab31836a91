//! Result-set columns and rows.

use crate::protocol::column::Column;

/// The columns of one result set, shared by its rows.
#[derive(Debug)]
pub struct ColumnSet {
    columns: Vec<Column>,
}

impl ColumnSet {
    pub(crate) fn new(columns: Vec<Column>) -> Self {
        ColumnSet { columns }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True for a result with no columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column definitions, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Index of the first column with this name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name() == name)
    }
}
