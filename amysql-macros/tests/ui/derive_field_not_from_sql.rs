struct Opaque;

// The missing `FromSql` impl is reported at the field's type.
#[derive(amysql::FromRow)]
struct User {
    id: i64,
    data: Opaque,
}

fn main() {}
