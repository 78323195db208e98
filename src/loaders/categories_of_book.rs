//! Book id → its categories, by name. Two statements per batch.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{LoadError, load_error};
use crate::entities::{book_category, category};

pub(crate) struct CategoriesOfBook(pub(crate) DatabaseConnection);

impl Loader<i64> for CategoriesOfBook {
    type Value = Vec<category::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let links = book_category::Entity::find()
            .filter(book_category::Column::BookId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(load_error)?;
        let categories: HashMap<i64, category::Model> = category::Entity::find()
            .filter(category::Column::Id.is_in(links.iter().map(|l| l.category_id)))
            .all(&self.0)
            .await
            .map_err(load_error)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut out: HashMap<i64, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(category) = categories.get(&link.category_id) {
                out.entry(link.book_id).or_default().push(category.clone());
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(out)
    }
}
