//! aiomysql.sa's example with sea-query as the SQL builder: create a table, insert in a
//! transaction, select with a WHERE clause and iterate the rows as they stream in.

use amysql::sea_query::SeaQueryExt;
use futures_util::TryStreamExt;
use sea_query::{ColumnDef, Expr, ExprTrait, Iden, MysqlQueryBuilder, Order, Query, Table};

#[derive(Iden)]
enum Tbl {
    #[iden = "sa_tbl"]
    Table,
    Id,
    Val,
}

#[derive(Debug, amysql::FromRow)]
struct Row {
    id: i32,
    val: Option<String>,
}

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main]
async fn main() -> amysql::Result<()> {
    let pool = amysql::create_pool(url(), amysql::PoolOptions::new().minsize(1).maxsize(10)).await?;

    amysql::query("DROP TABLE IF EXISTS sa_tbl").execute(&pool).await?;
    let create = Table::create()
        .table(Tbl::Table)
        .col(ColumnDef::new(Tbl::Id).integer().not_null().auto_increment().primary_key())
        .col(ColumnDef::new(Tbl::Val).string_len(255))
        .build(MysqlQueryBuilder);
    amysql::query(&create).execute(&pool).await?;

    let mut tx = pool.begin().await?;
    for val in ["abc", "xyz", "abc"] {
        let (sql, values) =
            Query::insert().into_table(Tbl::Table).columns([Tbl::Val]).values_panic([val.into()]).build_amysql();
        amysql::query_with(&sql, &values).execute(&mut tx).await?;
    }
    tx.commit().await?;

    let (sql, values) = Query::select()
        .columns([Tbl::Id, Tbl::Val])
        .from(Tbl::Table)
        .and_where(Expr::col(Tbl::Val).eq("abc"))
        .order_by(Tbl::Id, Order::Asc)
        .build_amysql();
    println!("{sql}");
    let mut rows = amysql::query_as_with::<Row, _>(&sql, &values).fetch(&pool);
    while let Some(row) = rows.try_next().await? {
        println!("{} {:?}", row.id, row.val);
    }
    drop(rows);

    pool.close();
    pool.wait_closed().await?;
    Ok(())
}
