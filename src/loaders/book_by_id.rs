//! Id → books, deleted ones included (orders and watches still show them). One statement per batch.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{LoadError, load_error};
use crate::entities::book;

pub struct BookById(pub DatabaseConnection);

impl Loader<i64> for BookById {
    type Value = book::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(book::Entity::find()
            .filter(book::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(load_error)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect())
    }
}
