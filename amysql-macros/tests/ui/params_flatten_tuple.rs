#[derive(amysql::Params)]
struct Ids {
    id: i64,
}

#[derive(amysql::Params)]
struct Positional(i64, #[amysql(flatten)] Ids);

fn main() {}
