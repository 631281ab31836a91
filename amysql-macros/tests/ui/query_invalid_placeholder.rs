fn main() {
    let _ = amysql::query!("SELECT * FROM t WHERE id = %d", 7);
    let _ = amysql::query!("SELECT * FROM t WHERE id = %()s", 7);
}
