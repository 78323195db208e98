//! Users and their presence: `users`; the `presenceChanged` subscription.
use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::entities::user;
use crate::error::Error;
use crate::schema::{PresenceChange, User};
use crate::services::id::parse_ids;

/// Most users one request may name.
const MAX_USERS: usize = 100;

/// User queries.
#[derive(Default)]
pub struct PresenceQuery;

#[Object]
impl PresenceQuery {
    /// These users (1..100), in the order asked; ids of no user are left out. Signed-in users only.
    #[graphql(guard = "SignedInGuard")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users' ids.")] ids: Vec<ID>,
    ) -> Result<Vec<User>> {
        let wanted = parse_ids("userIds", &ids, MAX_USERS).extend()?;
        let found = user::Entity::find()
            .filter(user::Column::Id.is_in(wanted.iter().copied()))
            .all(&state(ctx).db)
            .await
            .map_err(Error::from)
            .extend()?;
        Ok(wanted
            .iter()
            .filter_map(|id| found.iter().find(|u| u.id == *id).cloned().map(User::from))
            .collect())
    }
}

/// Presence subscriptions.
#[derive(Default)]
pub struct PresenceSubscription;

#[Subscription]
impl PresenceSubscription {
    /// These users (1..100) going ONLINE (a first subscription connection on any instance) or
    /// OFFLINE (a grace period after the last closes, or after its instance stops answering).
    /// Signed-in users only.
    async fn presence_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users' ids.")] user_ids: Vec<ID>,
    ) -> Result<impl Stream<Item = PresenceChange> + use<>> {
        viewer(ctx).user_id().extend()?;
        let ids = parse_ids("userIds", &user_ids, MAX_USERS).extend()?;
        let stream = state(ctx).presence.changes(ids).await.extend()?;
        Ok(stream.map(PresenceChange))
    }
}
