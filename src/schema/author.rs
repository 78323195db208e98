//! The `Author` type.
use async_graphql::{Context, ID, Object, Result};

use crate::domain::book::BookFilter;
use crate::entities::author;
use crate::schema::book_list::{BookConnection, BookSortInput};

/// A person who wrote books.
pub(crate) struct Author(pub(crate) author::Model);

/// A person who wrote books.
#[Object]
impl Author {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short biography, if the catalog has one.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// The author's books in the catalog.
    #[graphql(complexity = "first.max(0) as usize * child_complexity")]
    async fn books(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Order of the books; TITLE by default.")] sort: Option<BookSortInput>,
    ) -> Result<BookConnection> {
        let sort = sort.unwrap_or(BookSortInput::Title).into();
        BookConnection::load(ctx, BookFilter::by_author(self.0.id), sort, first, after).await
    }
}
