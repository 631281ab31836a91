#[derive(amysql::FromRow)]
struct Inner {
    id: i64,
}

// Every conflict is reported, not just the first.
#[derive(amysql::FromRow)]
struct User {
    #[amysql(skip, flatten)]
    a: Inner,
    #[amysql(default, skip)]
    b: i64,
    #[amysql(try_from = "i64", json)]
    c: u8,
    #[amysql(flatten, rename = "x")]
    d: Inner,
}

fn main() {}
