//! Folio's schema migrations, one change per file, applied in name order by `folio migrate` and at the
//! start of `folio serve`. They run unchanged on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_users;
mod m20261123_000002_create_catalog;
mod m20261124_000001_create_carts_and_orders;
mod m20261124_000002_create_chat;
mod m20261124_000003_deduct_sales_later;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_users::Migration),
            Box::new(m20261123_000002_create_catalog::Migration),
            Box::new(m20261124_000001_create_carts_and_orders::Migration),
            Box::new(m20261124_000002_create_chat::Migration),
            Box::new(m20261124_000003_deduct_sales_later::Migration),
        ]
    }
}

/// A foreign key that deletes the row with the row it points to: every link in Folio's schema
/// belongs to what it links to.
pub(crate) fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
