//! `setTyping` and the `typing` subscription.
use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::parse_id;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::typing::TypingEvent;
use crate::services::chat::typing;

/// Saying one types.
#[derive(Default)]
pub(crate) struct TypingMutation;

#[Object]
impl TypingMutation {
    /// Tells the conversation's other members that the viewer is (or stopped) typing. Never stored;
    /// a `true` lapses by itself after 5 seconds unless repeated. Members only.
    #[graphql(guard = "SignedInGuard")]
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation typed in.")] conversation_id: ID,
        #[graphql(desc = "Whether the viewer is typing.")] is_typing: bool,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx)?;
        let (bus, throttle) = (state.bus.as_ref(), state.throttle.as_ref());
        typing::set_typing(&state.db, bus, throttle, user_id, id, is_typing)
            .await
            .map(|()| true)
            .extend()
    }
}

/// Live typing.
#[derive(Default)]
pub(crate) struct TypingSubscription;

#[Subscription]
impl TypingSubscription {
    /// Who starts and stops typing in a conversation the viewer is in (the viewer's own typing is
    /// not sent back). A `true` not repeated within 5 seconds is followed by a `false`.
    async fn typing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation to follow.")] conversation_id: ID,
    ) -> Result<impl Stream<Item = TypingEvent> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx)?;
        let lapse = state.config.typing_lapse;
        let stream = typing::typing(state.db.clone(), &state.bus, user_id, id, lapse)
            .await
            .extend()?;
        Ok(stream.map(move |(typist, is_typing)| TypingEvent {
            conversation_id: id,
            user_id: typist,
            is_typing,
        }))
    }
}
