//! `searchBooks` and `suggest`.
use async_graphql::{Context, Object, Result, ResultExt};

use crate::loaders::prefetch_books;
use crate::schema::book_list::BookFilterInput;
use crate::schema::context::state;
use crate::schema::search::{SearchConnection, Suggestion};
use crate::services::catalog::search;

/// Search.
#[derive(Default)]
pub(crate) struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over title, subtitle, authors' names, ISBN (10 or 13 digits, with or without
    /// hyphens), description and keywords, tolerant of one typo per word, ranked by relevance. The
    /// Browse filter narrows it; `facets` counts the matches per category.
    #[graphql(
        complexity = "first.max(0) as usize * child_complexity",
        cache_control(max_age = 60)
    )]
    async fn search_books(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to look for.")] query: String,
        #[graphql(desc = "Page size, 1..100.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Narrows the matches.")] filter: Option<BookFilterInput>,
    ) -> Result<SearchConnection> {
        let state = state(ctx)?;
        let filter = filter.unwrap_or_default().parse().extend()?;
        let index = state.search.as_ref();
        let found = search::search_books(index, &query, filter, first, after.as_deref())
            .await
            .extend()?;
        // The page's books and what their cards show: independent reads, made at once.
        let ids = found.book_ids();
        let (page, prefetched) = tokio::join!(
            search::read_hits(&state.db, found),
            prefetch_books(ctx, &ids)
        );
        prefetched?;
        page.map(SearchConnection).extend()
    }

    /// Type-ahead: book titles and author names that start with the prefix, best first.
    #[graphql(cache_control(max_age = 60))]
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the user has typed so far.")] prefix: String,
        #[graphql(desc = "How many suggestions, 1..20.", default = 8)] first: i32,
    ) -> Result<Vec<Suggestion>> {
        let found = search::suggest(state(ctx)?.search.as_ref(), &prefix, first)
            .await
            .extend()?;
        Ok(found.into_iter().map(Suggestion::from).collect())
    }
}
