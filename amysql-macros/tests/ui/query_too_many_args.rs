fn main() {
    let _ = amysql::query!("SELECT * FROM users WHERE id = %s", 7, "bob", 9);
}
