fn main() {
    let _ = amysql::query!("DELETE FROM users WHERE id = %(id)s", id = 7, name = "bob");
}
