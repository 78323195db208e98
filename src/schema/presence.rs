//! `Presence` and its changes.
use async_graphql::{Context, Object, Result, SimpleObject};

use crate::presence::{PresenceStatus, UserPresence};
use crate::schema::User;
use crate::schema::message::load_user;

/// Whether a user is online.
#[derive(SimpleObject, Clone, Copy)]
pub struct Presence {
    /// ONLINE while the user has a subscription connection open on any instance; OFFLINE a short
    /// grace period after the last one closes (or after its instance stops answering).
    pub status: PresenceStatus,
    /// When the user was last online; null while online or if never seen.
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UserPresence> for Presence {
    fn from(p: UserPresence) -> Self {
        Presence {
            status: p.status,
            last_seen_at: p.last_seen_at,
        }
    }
}

/// A user went online or offline.
pub struct PresenceChange(pub UserPresence);

/// A user went online or offline.
#[Object]
impl PresenceChange {
    /// The user.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// ONLINE or OFFLINE.
    async fn status(&self) -> PresenceStatus {
        self.0.status
    }

    /// When the user was last online (with OFFLINE).
    async fn last_seen_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.last_seen_at
    }
}
