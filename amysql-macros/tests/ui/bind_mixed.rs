fn main() {
    // The function API catches a mix of `bind` and `bind_named` at compile time too.
    let _ = amysql::query("SELECT %s").bind(1).bind_named("id", 2);
}
