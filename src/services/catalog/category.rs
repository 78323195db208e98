//! Categories: the store's shelves, listed with their sizes, and created when a book first names
//! their slug.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::category;
use crate::error::{Error, Result};

/// A category with the number of books on its shelf.
#[derive(Clone, Debug, FromQueryResult)]
pub(crate) struct CategoryCount {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) book_count: i64,
}

/// Every category, by name, with its number of (not deleted) books, in one statement.
pub(crate) async fn categories(db: &impl ConnectionTrait) -> Result<Vec<CategoryCount>> {
    let counts = category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::Slug)
        .column(category::Column::Name)
        .expr_as(
            Expr::cust(
                "(SELECT COUNT(*) FROM book_categories bc JOIN books b ON b.id = bc.book_id \
                 WHERE bc.category_id = categories.id AND b.deleted_at IS NULL)",
            ),
            "book_count",
        )
        .order_by_asc(category::Column::Name)
        .into_model::<CategoryCount>()
        .all(db)
        .await?;
    Ok(counts)
}

/// The categories with these ids (those that exist).
pub(crate) async fn categories_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<category::Model>> {
    Ok(category::Entity::find()
        .filter(category::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// "science-fiction" → "Science fiction": the name a category gets when a book creates it.
pub(crate) fn name_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The category with this slug, created with `name` if new.
pub async fn find_or_create_category(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
) -> Result<category::Model> {
    category::Entity::insert(category::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([category::Column::Slug])
    .exec(db)
    .await?;
    category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("category vanished after upsert")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_becomes_a_readable_name() {
        assert_eq!(name_from_slug("science-fiction"), "Science fiction");
    }
}
