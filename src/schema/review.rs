//! The `Review` type and its connection.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::entities::review;
use crate::error::Error;
use crate::loaders::{Loaders, gql_error};
use crate::resolvers::state;
use crate::schema::User;
use crate::schema::connection::PageInfo;
use crate::services::page::Page;

/// A reader's review of a book.
pub struct Review(pub review::Model);

/// A reader's review of a book.
#[Object]
impl Review {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// 1 (poor) to 5 (excellent).
    async fn rating(&self) -> i32 {
        self.0.rating
    }

    /// Headline, if given.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// The review's text, if given.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }

    /// When it was first written.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When it was last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The reader who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        let user = ctx
            .data_unchecked::<Loaders>()
            .user_by_id
            .load_one(self.0.user_id)
            .await;
        user.map_err(gql_error)?
            .map(User::from)
            .ok_or(Error::NotFound("user"))
            .extend()
    }
}

/// A page of reviews.
pub struct ReviewConnection {
    book_id: i64,
    page: Page<review::Model>,
    after: bool,
}

impl ReviewConnection {
    /// The page of `book_id`'s reviews.
    pub fn new(book_id: i64, page: Page<review::Model>, after: bool) -> Self {
        ReviewConnection {
            book_id,
            page,
            after,
        }
    }
}

/// A page of reviews.
#[Object]
impl ReviewConnection {
    /// How many reviews the book has.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        crate::services::review::count_reviews(&state(ctx).db, self.book_id)
            .await
            .extend()
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        PageInfo::forward(
            self.page.items.iter().map(|(c, _)| c),
            self.page.has_next_page,
            self.after,
        )
    }

    /// The reviews on this page.
    async fn edges(&self) -> Vec<ReviewEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, review)| ReviewEdge {
                cursor: cursor.clone(),
                review: review.clone(),
            })
            .collect()
    }
}

/// A review on a page.
pub struct ReviewEdge {
    cursor: String,
    review: review::Model,
}

/// A review on a page.
#[Object]
impl ReviewEdge {
    /// Pass as `after` to continue after this review.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The review.
    async fn node(&self) -> Review {
        Review(self.review.clone())
    }
}
