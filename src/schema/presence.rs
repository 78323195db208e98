//! `PresenceChange`: a user going online or offline, as `presenceChanged` sends it. A user's
//! presence itself is part of `schema::user`.
use async_graphql::{Context, Object, Result};

use crate::presence::UserPresence;
use crate::schema::user::{PresenceStatus, User, load_user};

/// A user went online or offline.
pub(crate) struct PresenceChange(pub(crate) UserPresence);

/// A user went online or offline.
#[Object]
impl PresenceChange {
    /// The user whose presence changed.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// ONLINE or OFFLINE.
    async fn status(&self) -> PresenceStatus {
        self.0.status.into()
    }

    /// When the user was last online (with OFFLINE).
    async fn last_seen_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.last_seen_at
    }
}
