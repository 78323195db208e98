//! `announce` and the `announcements` subscription.
use async_graphql::{Context, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::schema::announcement::Announcement;
use crate::schema::context::{state, viewer};
use crate::schema::guard::AdminGuard;
use crate::services::updates::announcement;

/// Posting announcements.
#[derive(Default)]
pub(crate) struct AnnouncementMutation;

#[Object]
impl AnnouncementMutation {
    /// Broadcasts a storewide notice (1..500 characters) to every `announcements` subscriber on every
    /// instance. ADMIN only. Announcements are not stored: whoever is not subscribed does not get it.
    #[graphql(guard = "AdminGuard")]
    async fn announce(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notice to show.")] message: String,
    ) -> Result<Announcement> {
        let author = viewer(ctx).user_id().extend()?;
        announcement::announce(state(ctx)?.bus.as_ref(), author, &message)
            .await
            .map(Announcement)
            .extend()
    }
}

/// Hearing announcements.
#[derive(Default)]
pub(crate) struct AnnouncementSubscription;

#[Subscription]
impl AnnouncementSubscription {
    /// Storewide notices as admins post them. Open to everyone, signed in or not.
    async fn announcements(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Announcement> + use<>> {
        let notices = announcement::announcements(&state(ctx)?.bus);
        Ok(notices.map(Announcement))
    }
}
