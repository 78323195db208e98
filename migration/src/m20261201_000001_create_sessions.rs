//! Sessions that can end: a user's sign-in is a `sessions` row, which its short-lived access tokens
//! name (`sid`) and which a sign-out or an admin revokes; each sign-in's rotating refresh tokens are
//! `refresh_tokens` rows, kept by their SHA-256 only, and kept after they are spent so that a spent
//! one presented again is recognised (and ends its session). `users.disabled` lets an admin shut an
//! account without deleting it.
use sea_orm_migration::prelude::*;

use crate::{big, fk, id, time, varchar};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Disabled,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Hash,
    SessionId,
    CreatedAt,
    ExpiresAt,
    SpentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::Disabled)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(id(Sessions::Id))
                    .col(big(Sessions::UserId))
                    .col(time(Sessions::CreatedAt))
                    .col(ColumnDef::new(Sessions::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(&mut fk(
                        Sessions::Table,
                        Sessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    // A SHA-256 in hex: the token itself is never stored.
                    .col(varchar(RefreshTokens::Hash, 64).primary_key())
                    .col(big(RefreshTokens::SessionId))
                    .col(time(RefreshTokens::CreatedAt))
                    .col(time(RefreshTokens::ExpiresAt))
                    .col(ColumnDef::new(RefreshTokens::SpentAt).timestamp_with_time_zone())
                    .foreign_key(&mut fk(
                        RefreshTokens::Table,
                        RefreshTokens::SessionId,
                        Sessions::Table,
                        Sessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // The pruning pass's scan.
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_expiry")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Disabled)
                    .to_owned(),
            )
            .await
    }
}
