fn main() {
    let sql = "SELECT 1";
    let _ = amysql::query!(sql);
}
