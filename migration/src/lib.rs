//! Folio's schema migrations, one change per file, applied in name order by `folio migrate` and at the
//! start of `folio serve`. They run unchanged on SQLite and PostgreSQL.
//!
//! A migration's name in `seaql_migrations` is its file's name (`DeriveMigrationName` reads
//! `file!()`), so a migration's `Migration` stays in its own `mYYYYMMDD_HHMMSS_verb_noun.rs`. The
//! longer ones keep their table definitions in `tables`.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_users;
mod m20261123_000002_create_catalog;
mod m20261124_000001_create_carts_and_orders;
mod m20261124_000002_create_chat;
mod m20261124_000003_deduct_sales_later;
mod m20261201_000001_create_sessions;
mod m20261201_120000_create_persisted_operations;
mod tables;

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
            Box::new(m20261201_000001_create_sessions::Migration),
            Box::new(m20261201_120000_create_persisted_operations::Migration),
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

// The column shapes the tables repeat. Each is used by migrations already applied, so changing one
// would change what those migrations run on a new database: add a new helper instead.

/// A table's own id: a 64-bit key the database assigns.
pub(crate) fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// A required 64-bit integer: another row's id, or an amount in minor units.
pub(crate) fn big(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

/// A required 32-bit integer.
pub(crate) fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
}

/// A required timestamp with its time zone.
pub(crate) fn time(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// A required string of at most `len` characters.
pub(crate) fn varchar(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}
