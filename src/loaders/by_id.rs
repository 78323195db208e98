//! Id → row, for any table keyed by one `i64` id: books (deleted ones included: orders and carts
//! still show them), users, warehouses. One statement per batch.
use std::collections::HashMap;
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use super::{LoadError, load_error};
use crate::entities::KeyedById;

/// Loads rows of `E` by their id.
pub(crate) struct ById<E>(DatabaseConnection, PhantomData<E>);

impl<E> ById<E> {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        ById(db, PhantomData)
    }
}

impl<E> Loader<i64> for ById<E>
where
    E: KeyedById,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(E::find()
            .filter(E::id_column().is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(load_error)?
            .into_iter()
            .map(|row| (E::id_of(&row), row))
            .collect())
    }
}
