#[derive(amysql::FromRow)]
enum Status {
    Active,
}

#[derive(amysql::Params)]
enum Filter {
    All,
}

fn main() {}
