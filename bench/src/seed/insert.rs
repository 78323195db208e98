//! How the seeder writes: with ids it picks itself (after each table's highest), so that a book's
//! links, stock and reviews are built before any row is written, and in multi-row inserts.
use sea_orm::{ConnectionTrait, EntityTrait};

use folio::error::Result;

/// Rows per INSERT statement: well under PostgreSQL's 65,535 bind parameters and SQLite's 32,766.
const ROWS_PER_INSERT: usize = 500;

/// The id after the highest in `table` (1 when it is empty).
pub(super) async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}"),
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "next").ok())
        .unwrap_or(1))
}

/// Inserts `rows`, `ROWS_PER_INSERT` per statement.
pub(super) async fn insert_chunks<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
