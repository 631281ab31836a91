#[derive(amysql::FromRow)]
struct User {
    #[amysql(try_from = i64)]
    age: u8,
}

fn main() {}
