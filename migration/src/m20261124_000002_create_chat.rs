//! Chat: conversations, their members with their delivered and read watermarks, and messages with
//! a gapless per-conversation `seq`.
use sea_orm_migration::prelude::*;

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    Kind,
    Title,
    DirectKey,
    LastSeq,
    LastActivityAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    ConversationId,
    UserId,
    LastDeliveredSeq,
    LastReadSeq,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    Seq,
    SenderId,
    ClientMessageId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(
                        ColumnDef::new(Conversations::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Conversations::Kind).string_len(8).not_null())
                    .col(ColumnDef::new(Conversations::Title).string_len(200))
                    // "<smaller user id>:<larger user id>" for DIRECT conversations: one per pair.
                    .col(
                        ColumnDef::new(Conversations::DirectKey)
                            .string_len(50)
                            .unique_key(),
                    )
                    // The seq of the newest message; the next one takes last_seq + 1.
                    .col(
                        ColumnDef::new(Conversations::LastSeq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Conversations::LastActivityAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conversations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationMembers::Table)
                    .col(
                        ColumnDef::new(ConversationMembers::ConversationId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConversationMembers::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConversationMembers::LastDeliveredSeq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ConversationMembers::LastReadSeq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ConversationMembers::JoinedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ConversationMembers::ConversationId)
                            .col(ConversationMembers::UserId),
                    )
                    .foreign_key(&mut fk(
                        ConversationMembers::Table,
                        ConversationMembers::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .foreign_key(&mut fk(
                        ConversationMembers::Table,
                        ConversationMembers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(
                        ColumnDef::new(Messages::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Messages::ConversationId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Messages::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Messages::SenderId).big_integer().not_null())
                    .col(
                        ColumnDef::new(Messages::ClientMessageId)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Messages::Body).text().not_null())
                    .col(
                        ColumnDef::new(Messages::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        Messages::Table,
                        Messages::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // History and replay read by seq; the unique index also refuses a second message at a seq.
            "CREATE UNIQUE INDEX idx_messages_seq ON messages (conversation_id, seq)",
            // A retried send finds the stored message instead of storing another.
            "CREATE UNIQUE INDEX idx_messages_client_id ON messages (conversation_id, sender_id, client_message_id)",
            "CREATE INDEX idx_messages_created ON messages (conversation_id, created_at)",
            "CREATE INDEX idx_conversation_members_user ON conversation_members (user_id, conversation_id)",
            "CREATE INDEX idx_conversations_activity ON conversations (last_activity_at, id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["messages", "conversation_members", "conversations"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
