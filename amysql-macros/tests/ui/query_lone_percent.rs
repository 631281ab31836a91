fn main() {
    // Macros always parse the SQL, so a literal `%` is written `%%`.
    let _ = amysql::query!("SELECT * FROM t WHERE discount = 10%");
}
