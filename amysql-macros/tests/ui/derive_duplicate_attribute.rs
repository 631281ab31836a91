#[derive(amysql::FromRow)]
struct User {
    #[amysql(rename = "a", rename = "b")]
    id: i64,
    #[amysql(default)]
    #[amysql(default)]
    email: Option<String>,
}

fn main() {}
