//! The transactional outbox: an ordered log of committed changes, written in the same transaction as
//! the change, that the relay feeds to the search index and the event bus.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Only grows: the log's order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What changed (`book`, `stock`, `price`…).
    pub kind: String,
    /// The change, as JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
