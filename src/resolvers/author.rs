//! `author`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::schema::author::Author;
use crate::schema::context::state;
use crate::services::catalog::author;

/// Authors.
#[derive(Default)]
pub(crate) struct AuthorQuery;

#[Object]
impl AuthorQuery {
    /// One author; NOT_FOUND if there is none.
    #[graphql(cache_control(max_age = 60))]
    async fn author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The author's id.")] id: ID,
    ) -> Result<Author> {
        let id = parse_id("id", &id).extend()?;
        author::find_author(&state(ctx)?.db, id)
            .await
            .map(Author::from)
            .extend()
    }
}
