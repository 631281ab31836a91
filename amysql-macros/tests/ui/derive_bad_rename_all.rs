#[derive(amysql::FromRow)]
#[amysql(rename_all = "camel_case")]
struct User {
    user_id: i64,
}

fn main() {}
