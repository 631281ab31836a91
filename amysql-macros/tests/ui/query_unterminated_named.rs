fn main() {
    let _ = amysql::query!("SELECT * FROM t WHERE id = %(id", id = 7);
}
