fn main() {
    let _ = amysql::query!("SELECT ?", id = 7);
}
