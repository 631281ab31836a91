fn main() {
    let _ = amysql::query!("SELECT * FROM users WHERE id = ? AND name = ?", 7);
    let _ = amysql::query_scalar!(i64, "SELECT ? + ?");
    // A `?` in a literal or a comment is not a placeholder.
    let _ = amysql::query_as!((i64, String), "SELECT ?, '?' -- ?\n, ?", 1);
}
