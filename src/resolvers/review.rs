//! `addReview`.
use async_graphql::{Context, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::review::{AddReviewInput, Review};
use crate::services::catalog::review::{self, ReviewInput};

/// Writing reviews.
#[derive(Default)]
pub(crate) struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Reviews a book as the signed-in reader. One review per reader and book: a second call
    /// replaces the first. rating is 1..5.
    #[graphql(guard = "SignedInGuard")]
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book, rating and text.")] input: AddReviewInput,
    ) -> Result<Review> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &input.book_id).extend()?;
        let input = ReviewInput {
            book_id,
            rating: input.rating,
            title: input.title,
            body: input.body,
        };
        review::add_review(&state(ctx)?.db, user_id, input)
            .await
            .map(Review)
            .extend()
    }
}
