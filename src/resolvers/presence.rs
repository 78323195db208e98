//! The `presenceChanged` subscription.
use async_graphql::{Context, ID, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::parse_ids;
use crate::schema::context::{state, viewer};
use crate::schema::presence::PresenceChange;
use crate::services::chat::presence::presence_changes;

/// Most users one subscription may follow.
const MAX_USERS: usize = 100;

/// Presence subscriptions.
#[derive(Default)]
pub(crate) struct PresenceSubscription;

#[Subscription]
impl PresenceSubscription {
    /// These users (1..100) going ONLINE (a first subscription connection on any instance) or
    /// OFFLINE (a grace period after the last closes, or after its instance stops answering).
    /// Signed-in users only.
    async fn presence_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users' ids.")] user_ids: Vec<ID>,
    ) -> Result<impl Stream<Item = Result<PresenceChange>> + use<>> {
        viewer(ctx).user_id().extend()?;
        let ids = parse_ids("userIds", &user_ids, MAX_USERS).extend()?;
        let state = state(ctx)?;
        let changes = presence_changes(&state.presence, &state.bus, ids)
            .await
            .extend()?;
        Ok(changes.map(|change| change.map(PresenceChange).extend()))
    }
}
