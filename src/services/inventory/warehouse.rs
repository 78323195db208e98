//! Warehouses: the places stock is kept and shipped from.
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};

use crate::entities::warehouse;
use crate::error::{Error, Result, is_unique_violation};

/// Every warehouse, by name.
pub(crate) async fn warehouses(db: &impl ConnectionTrait) -> Result<Vec<warehouse::Model>> {
    Ok(warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Name)
        .all(db)
        .await?)
}

/// Creates a warehouse; names are unique.
pub async fn create_warehouse(
    db: &impl ConnectionTrait,
    name: &str,
    region: &str,
) -> Result<warehouse::Model> {
    let name = name.trim();
    let region = region.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::bad_input("name", "must be 1 to 100 characters"));
    }
    if region.is_empty() || region.chars().count() > 100 {
        return Err(Error::bad_input("region", "must be 1 to 100 characters"));
    }
    warehouse::ActiveModel {
        name: Set(name.to_owned()),
        region: Set(region.to_owned()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            Error::Conflict(format!("a warehouse named {name:?} already exists"))
        } else {
            err.into()
        }
    })
}

/// The warehouse with this id.
pub(crate) async fn find_warehouse(db: &impl ConnectionTrait, id: i64) -> Result<warehouse::Model> {
    warehouse::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("warehouse"))
}
