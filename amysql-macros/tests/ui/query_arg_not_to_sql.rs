struct Opaque;

fn main() {
    // Reported at the argument, not somewhere inside the expansion.
    let _ = amysql::query_scalar!(i64, "SELECT %s", Opaque);
}
