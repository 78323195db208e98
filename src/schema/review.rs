//! The `Review` type, and what a reader sends to write one.
use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::entities::review;
use crate::schema::connection::Node;
use crate::schema::user::{User, load_user};

/// A reader's review of a book.
pub(crate) struct Review(pub(crate) review::Model);

impl Node for Review {
    const NAME: &'static str = "Review";
}

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
        load_user(ctx, self.0.user_id).await
    }
}

/// A review of a book.
#[derive(InputObject)]
pub(crate) struct AddReviewInput {
    /// The book reviewed.
    pub(crate) book_id: ID,
    /// 1 (poor) to 5 (excellent).
    pub(crate) rating: i32,
    /// Headline, up to 200 characters.
    pub(crate) title: Option<String>,
    /// Text, up to 10000 characters.
    pub(crate) body: Option<String>,
}
