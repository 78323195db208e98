//! `Presence` and its changes.
use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use crate::presence::UserPresence;
use crate::schema::user::{User, load_user};

/// ONLINE or OFFLINE.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::PresenceStatus")]
pub(crate) enum PresenceStatus {
    /// Has at least one subscription connection open.
    Online,
    /// Has none (for longer than the grace period).
    Offline,
}

/// Whether a user is online.
#[derive(SimpleObject, Clone, Copy)]
pub(crate) struct Presence {
    /// ONLINE while the user has a subscription connection open on any instance; OFFLINE a short
    /// grace period after the last one closes (or after its instance stops answering).
    pub(crate) status: PresenceStatus,
    /// When the user was last online; null while online or if never seen.
    pub(crate) last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UserPresence> for Presence {
    fn from(p: UserPresence) -> Self {
        Presence {
            status: p.status.into(),
            last_seen_at: p.last_seen_at,
        }
    }
}

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
