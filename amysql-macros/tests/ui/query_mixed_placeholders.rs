fn main() {
    let _ = amysql::query!("SELECT %s, %(name)s", 1, name = 2);
}
