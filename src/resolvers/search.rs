//! `searchBooks` and `suggest`.
use std::collections::HashMap;

use async_graphql::{Context, Object, Result, ResultExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::state;
use crate::entities::category;
use crate::error::Error;
use crate::loaders::{Loaders, gql_error, prefetch_books};
use crate::schema::{BookFilterInput, Category, CategoryFacet, SearchConnection, Suggestion};
use crate::services::search;

/// Search queries.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over title, subtitle, authors' names, ISBN (10 or 13 digits, with or without
    /// hyphens), description and keywords, tolerant of one typo per word, ranked by relevance. The
    /// Browse filter narrows it; `facets` counts the matches per category.
    #[graphql(complexity = "first.max(0) as usize * child_complexity")]
    async fn search_books(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to look for.")] query: String,
        #[graphql(desc = "Page size, 1..100.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Narrows the matches.")] filter: Option<BookFilterInput>,
    ) -> Result<SearchConnection> {
        let state = state(ctx);
        let filter = filter.unwrap_or_default().parse().extend()?;
        let (offset, results) = search::search_books(
            state.search.as_ref(),
            &query,
            filter,
            first,
            after.as_deref(),
        )
        .await
        .extend()?;
        let ids: Vec<i64> = results.hits.iter().map(|(id, _)| *id).collect();
        let loaders = ctx.data_unchecked::<Loaders>();
        let category_ids: Vec<i64> = results.facets.iter().map(|(id, _)| *id).collect();
        // The books, what their cards show, and the facets' categories: three independent reads,
        // made at once rather than one after another.
        let (books, prefetched, categories) = tokio::join!(
            loaders.book_by_id.load_many(ids.iter().copied()),
            prefetch_books(ctx, &ids),
            category::Entity::find()
                .filter(category::Column::Id.is_in(category_ids))
                .all(&state.db),
        );
        let books = books.map_err(gql_error)?;
        prefetched?;
        let categories: HashMap<i64, category::Model> = categories
            .map_err(Error::from)
            .extend()?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        // The index may briefly still hold a book deleted a moment ago: leave it out.
        let hits: Vec<_> = results
            .hits
            .iter()
            .filter_map(|(id, score)| {
                books
                    .get(id)
                    .filter(|b| b.deleted_at.is_none())
                    .map(|b| (b.clone(), *score))
            })
            .collect();
        let facets = results
            .facets
            .iter()
            .filter_map(|(id, count)| {
                categories.get(id).map(|c| CategoryFacet {
                    category: Category::from(c.clone()),
                    count: *count,
                })
            })
            .collect();
        Ok(SearchConnection {
            has_next_page: (offset + results.hits.len()) < results.total as usize,
            hits,
            offset,
            total: results.total,
            facets,
        })
    }

    /// Type-ahead: book titles and author names that start with the prefix, best first.
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the user has typed so far.")] prefix: String,
        #[graphql(desc = "How many suggestions, 1..20.", default = 8)] first: i32,
    ) -> Result<Vec<Suggestion>> {
        let found = search::suggest(state(ctx).search.as_ref(), &prefix, first)
            .await
            .extend()?;
        Ok(found.into_iter().map(Suggestion::from).collect())
    }
}
