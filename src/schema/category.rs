//! The `Category` type.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::entities::category;
use crate::resolvers::state;
use crate::services::catalog::BookFilter;

/// A shelf of the store, such as "Poetry".
pub struct Category {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) name: String,
    /// Known when listed by `categories`, which counts every shelf in one statement.
    pub(crate) book_count: Option<i64>,
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
        let filter = BookFilter {
            category_id: Some(self.id),
            ..Default::default()
        };
        let state = state(ctx);
        let count = state.counts.count(&state.db, &filter).await.extend()?;
        Ok(count as i64)
    }
}
