fn main() {
    let _ = amysql::query!("SELECT * FROM users WHERE id = %s AND name = %s", 7);
}
