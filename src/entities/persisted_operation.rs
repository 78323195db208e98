//! A registered automatic persisted query: its document, by the SHA-256 of the document's text.
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_operations")]
pub struct Model {
    /// Lower-case hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The document registered under `hash`, if any.
pub(crate) async fn document(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<String>, DbErr> {
    Ok(Entity::find_by_id(hash.to_owned())
        .one(db)
        .await?
        .map(|row| row.document))
}

/// Registers `document` under `hash`. Two instances registering the same hash at once is the
/// common race (every client of a new build does it), and both write the same text: the loser's
/// insert does nothing.
pub(crate) async fn register(
    db: &impl ConnectionTrait,
    hash: &str,
    document: &str,
) -> Result<(), DbErr> {
    Entity::insert(ActiveModel {
        hash: Set(hash.to_owned()),
        document: Set(document.to_owned()),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict_do_nothing_on([Column::Hash])
    .exec_without_returning(db)
    .await?;
    Ok(())
}
