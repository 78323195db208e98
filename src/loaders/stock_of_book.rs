//! Book id → its stock rows, one per warehouse. One statement per batch.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{LoadError, load_error};
use crate::entities::stock;

pub(crate) struct StockOfBook(pub(crate) DatabaseConnection);

impl Loader<i64> for StockOfBook {
    type Value = Vec<stock::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = stock::Entity::find()
            .filter(stock::Column::BookId.is_in(keys.iter().copied()))
            .order_by_asc(stock::Column::WarehouseId)
            .all(&self.0)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<i64, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.book_id).or_default().push(row);
        }
        Ok(out)
    }
}
