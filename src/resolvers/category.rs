//! `categories`.
use async_graphql::{Context, Object, Result, ResultExt};

use crate::schema::category::Category;
use crate::schema::context::state;
use crate::services::catalog::category;

/// The store's shelves.
#[derive(Default)]
pub(crate) struct CategoryQuery;

#[Object]
impl CategoryQuery {
    /// Every category, by name, with its number of books.
    #[graphql(cache_control(max_age = 60))]
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let rows = category::categories(&state(ctx)?.db).await.extend()?;
        Ok(rows.into_iter().map(Category::from).collect())
    }
}
