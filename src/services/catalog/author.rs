//! Authors: found by id, or by name (in any letter case) and created when a book first names them.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::author;
use crate::error::{Error, Result};

/// The author with this id.
pub(crate) async fn find_author(db: &impl ConnectionTrait, id: i64) -> Result<author::Model> {
    author::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("author"))
}

/// The author with this name (in any letter case), created if new.
pub(crate) async fn find_or_create_author(
    db: &impl ConnectionTrait,
    name: &str,
    bio: Option<&str>,
) -> Result<author::Model> {
    let key = name.trim().to_lowercase();
    author::Entity::insert(author::ActiveModel {
        name: Set(name.trim().to_owned()),
        name_key: Set(key.clone()),
        bio: Set(bio.map(str::to_owned)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([author::Column::NameKey])
    .exec(db)
    .await?;
    author::Entity::find()
        .filter(author::Column::NameKey.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("author vanished after upsert")))
}
