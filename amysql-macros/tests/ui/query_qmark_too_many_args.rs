fn main() {
    let _ = amysql::query!("SELECT * FROM users WHERE id = ?", 7, "bob", 9);
    let _ = amysql::query_scalar!("SELECT '?' /* ? */, `?`, ?", 1, 2);
}
