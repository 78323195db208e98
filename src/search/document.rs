//! What the index knows of a book, built from the database in one pass for a batch of books.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::entities::{author, book, book_author, book_category, stock};
use crate::error::Result;

/// One book as the search index stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookDocument {
    pub id: i64,
    pub isbn: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: String,
    pub keywords: Vec<String>,
    pub author_ids: Vec<i64>,
    pub author_names: Vec<String>,
    pub category_ids: Vec<i64>,
    pub price_minor: i64,
    pub in_stock: bool,
}

/// The documents of the given books that exist and are not deleted (the others should be removed
/// from the index), in four statements whatever the batch size.
pub(crate) async fn load_documents(
    db: &impl ConnectionTrait,
    book_ids: &[i64],
) -> Result<Vec<BookDocument>> {
    if book_ids.is_empty() {
        return Ok(Vec::new());
    }
    let books = book::Entity::find()
        .filter(book::Column::Id.is_in(book_ids.iter().copied()))
        .filter(book::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let ids: Vec<i64> = books.iter().map(|b| b.id).collect();
    let links = book_author::Entity::find()
        .filter(book_author::Column::BookId.is_in(ids.iter().copied()))
        .order_by_asc(book_author::Column::Position)
        .all(db)
        .await?;
    let authors: HashMap<i64, String> = author::Entity::find()
        .filter(author::Column::Id.is_in(links.iter().map(|l| l.author_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let categories = book_category::Entity::find()
        .filter(book_category::Column::BookId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let in_stock: std::collections::HashSet<i64> = stock::Entity::find()
        .filter(stock::Column::BookId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter(|s| s.available() > 0)
        .map(|s| s.book_id)
        .collect();
    let mut authors_of: HashMap<i64, (Vec<i64>, Vec<String>)> = HashMap::new();
    for link in &links {
        let entry = authors_of.entry(link.book_id).or_default();
        entry.0.push(link.author_id);
        if let Some(name) = authors.get(&link.author_id) {
            entry.1.push(name.clone());
        }
    }
    let mut categories_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in categories {
        categories_of
            .entry(link.book_id)
            .or_default()
            .push(link.category_id);
    }
    Ok(books
        .into_iter()
        .map(|b| {
            let (author_ids, author_names) = authors_of.remove(&b.id).unwrap_or_default();
            BookDocument {
                id: b.id,
                keywords: b.keyword_list(),
                author_ids,
                author_names,
                category_ids: categories_of.remove(&b.id).unwrap_or_default(),
                in_stock: in_stock.contains(&b.id),
                isbn: b.isbn,
                title: b.title,
                subtitle: b.subtitle,
                description: b.description,
                price_minor: b.price_minor,
            }
        })
        .collect())
}
