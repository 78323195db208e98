//! Book id → its authors, in credit order. Two statements per batch.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{LoadError, load_error};
use crate::entities::{author, book_author};

pub(crate) struct AuthorsOfBook(pub(crate) DatabaseConnection);

impl Loader<i64> for AuthorsOfBook {
    type Value = Vec<author::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let links = book_author::Entity::find()
            .filter(book_author::Column::BookId.is_in(keys.iter().copied()))
            .order_by_asc(book_author::Column::BookId)
            .order_by_asc(book_author::Column::Position)
            .all(&self.0)
            .await
            .map_err(load_error)?;
        let authors: HashMap<i64, author::Model> = author::Entity::find()
            .filter(author::Column::Id.is_in(links.iter().map(|l| l.author_id)))
            .all(&self.0)
            .await
            .map_err(load_error)?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut out: HashMap<i64, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(author) = authors.get(&link.author_id) {
                out.entry(link.book_id).or_default().push(author.clone());
            }
        }
        Ok(out)
    }
}
