fn main() {
    let _ = amysql::query!("SELECT ?, %s", 1, 2);
    let _ = amysql::query_as!((i64, i64), "SELECT %(a)s, ?", a = 1, 2);
}
