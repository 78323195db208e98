//! The transactional outbox: an ordered log of committed changes, written in the same transaction as
//! the change, that the relay feeds to the search index and the event bus. Writing a row is here,
//! where every service that changes the catalog or its stock can reach it; reading and pruning the
//! log is `services::updates::outbox`.
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, Set};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

/// A committed change, as the outbox records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A book was created or its catalog data changed: reindex it.
    BookChanged { book_id: i64 },
    /// A book was deleted: take it out of search.
    BookDeleted { book_id: i64 },
    /// A book's price changed (only written when the value really changed).
    PriceChanged {
        book_id: i64,
        old_minor: i64,
        new_minor: i64,
        currency: String,
        changed_at: chrono::DateTime<chrono::Utc>,
    },
    /// A book's available stock may have changed. The count is not recorded: the bus relay reads
    /// it when it publishes, so that the writer need not read back the stock row it has locked.
    StockChanged { book_id: i64 },
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::BookChanged { .. } => "book_changed",
            Change::BookDeleted { .. } => "book_deleted",
            Change::PriceChanged { .. } => "price_changed",
            Change::StockChanged { .. } => "stock_changed",
        }
    }
}

/// Appends `change` to the outbox; call it inside the transaction that makes the change.
pub async fn record(txn: &impl ConnectionTrait, change: &Change) -> Result<()> {
    ActiveModel {
        kind: Set(change.kind().to_owned()),
        payload: Set(serde_json::to_string(change).map_err(Error::internal)?),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
