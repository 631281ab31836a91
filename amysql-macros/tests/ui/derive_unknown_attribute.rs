#[derive(amysql::FromRow)]
#[amysql(default)]
struct User {
    #[amysql(renam = "user_name")]
    name: String,
}

fn main() {}
