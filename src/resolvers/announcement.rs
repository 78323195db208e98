//! `announce` and the `announcements` subscription.
use async_graphql::{Context, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use super::{state, viewer};
use crate::auth::AdminGuard;
use crate::bus::{Delivery, topic};
use crate::error::Error;
use crate::schema::Announcement;
use crate::services::announcement;

/// Announcement mutations.
#[derive(Default)]
pub struct AnnouncementMutation;

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
        let event = announcement::announce(state(ctx).bus.as_ref(), author, &message)
            .await
            .extend()?;
        Announcement::from_event(&event)
            .ok_or_else(|| {
                Error::internal(anyhow::anyhow!("announce published another kind of event"))
            })
            .extend()
    }
}

/// Announcement subscriptions.
#[derive(Default)]
pub struct AnnouncementSubscription;

#[Subscription]
impl AnnouncementSubscription {
    /// Storewide notices as admins post them. Open to everyone, signed in or not.
    async fn announcements(&self, ctx: &Context<'_>) -> impl Stream<Item = Announcement> + use<> {
        state(ctx)
            .bus
            .subscribe(topic::ANNOUNCEMENTS)
            .filter_map(|delivery| async move {
                match delivery {
                    Delivery::Event(event) => Announcement::from_event(&event),
                    // Announcements are not stored, so there is nothing to recover; the
                    // subscription goes on with the next one.
                    Delivery::Gap => {
                        tracing::warn!("an announcements subscriber fell behind");
                        None
                    }
                }
            })
    }
}
