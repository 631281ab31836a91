fn main() {
    let _ = amysql::query!("SELECT %(id)s", id = 7, id = 8);
}
