//! The `Category` type.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::book::BookFilter;
use crate::entities::category;
use crate::schema::context::state;
use crate::services::catalog::browse::count_books;
use crate::services::catalog::category::CategoryCount;

/// A shelf of the store, such as "Poetry".
pub(crate) struct Category {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) name: String,
    /// Known when listed by `categories`, which counts every shelf in one statement.
    pub(crate) book_count: Option<i64>,
}

impl From<CategoryCount> for Category {
    fn from(c: CategoryCount) -> Self {
        Category {
            id: c.id,
            slug: c.slug,
            name: c.name,
            book_count: Some(c.book_count),
        }
    }
}

impl From<category::Model> for Category {
    fn from(m: category::Model) -> Self {
        Category {
            id: m.id,
            slug: m.slug,
            name: m.name,
            book_count: None,
        }
    }
}

/// A shelf of the store, such as "Poetry".
#[Object]
impl Category {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.name
    }

    /// Unique, URL-friendly name, e.g. "science-fiction".
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// Number of books on this shelf.
    async fn book_count(&self, ctx: &Context<'_>) -> Result<i64> {
        if let Some(count) = self.book_count {
            return Ok(count);
        }
        let state = state(ctx)?;
        let count = count_books(&state.db, &state.counts, &BookFilter::shelf(self.id))
            .await
            .extend()?;
        Ok(count as i64)
    }
}
