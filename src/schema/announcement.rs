//! The `Announcement` type: a storewide notice from an admin.
use async_graphql::{Context, Object, Result};

use crate::schema::user::{User, load_user};
use crate::services::updates::announcement::Notice;

/// A storewide notice posted by an admin, shown by every connected storefront.
pub(crate) struct Announcement(pub(crate) Notice);

/// A storewide notice posted by an admin, shown by every connected storefront.
#[Object]
impl Announcement {
    /// The notice, 1..500 characters.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// When it was posted.
    async fn posted_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.posted_at
    }

    /// The admin who posted it.
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.author_id).await
    }
}
