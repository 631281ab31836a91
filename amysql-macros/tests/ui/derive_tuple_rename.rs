#[derive(amysql::FromRow)]
#[amysql(rename_all = "camelCase")]
struct Pair(#[amysql(rename = "id")] i64, String);

fn main() {}
