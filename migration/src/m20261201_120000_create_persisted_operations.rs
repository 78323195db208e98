//! The documents of automatic persisted queries, by the SHA-256 of their text, so that a hash
//! registered through one instance works on every other.
use sea_orm_migration::prelude::*;

use crate::{time, varchar};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersistedOperations {
    Table,
    Hash,
    Document,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedOperations::Table)
                    // Lower-case hex of the SHA-256: the key, and all a client sends.
                    .col(varchar(PersistedOperations::Hash, 64).primary_key())
                    .col(
                        ColumnDef::new(PersistedOperations::Document)
                            .text()
                            .not_null(),
                    )
                    .col(time(PersistedOperations::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedOperations::Table).to_owned())
            .await
    }
}
