//! The `Announcement` type: a storewide notice from an admin.
use async_graphql::{Context, Object, Result};

use crate::bus::Event;
use crate::schema::user::{User, load_user};

/// A storewide notice posted by an admin, shown by every connected storefront.
pub(crate) struct Announcement {
    pub(crate) message: String,
    pub(crate) author_id: i64,
    pub(crate) posted_at: chrono::DateTime<chrono::Utc>,
}

impl Announcement {
    /// The announcement an `Event::Announcement` carries; `None` for other events.
    pub(crate) fn from_event(event: &Event) -> Option<Self> {
        match event {
            Event::Announcement {
                message,
                author_id,
                posted_at,
            } => Some(Announcement {
                message: message.clone(),
                author_id: *author_id,
                posted_at: *posted_at,
            }),
            _ => None,
        }
    }
}

/// A storewide notice posted by an admin, shown by every connected storefront.
#[Object]
impl Announcement {
    /// The notice, 1..500 characters.
    async fn message(&self) -> &str {
        &self.message
    }

    /// When it was posted.
    async fn posted_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.posted_at
    }

    /// The admin who posted it.
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.author_id).await
    }
}
