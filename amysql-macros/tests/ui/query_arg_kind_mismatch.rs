fn main() {
    let _ = amysql::query!("SELECT %(id)s", 7);
    let _ = amysql::query!("SELECT %s", id = 7);
}
