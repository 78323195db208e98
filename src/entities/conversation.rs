//! A conversation: DIRECT (one per pair of users) or GROUP.
use sea_orm::entity::prelude::*;

use crate::domain::status::ConversationKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ConversationKind,
    pub title: Option<String>,
    /// `"<smaller user id>:<larger user id>"` for DIRECT conversations, unique.
    #[sea_orm(unique)]
    pub direct_key: Option<String>,
    /// The seq of the newest message (0 before the first).
    pub last_seq: i64,
    /// When the last message was sent (or the conversation created): the conversation list's order.
    pub last_activity_at: ChronoDateTimeUtc,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
