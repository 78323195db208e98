//! `sendMessage` and the `messageAdded` subscription.
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::parse_id;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::message::{Message, SendMessageInput};
use crate::services::chat::{message, stream};

/// Sending messages.
#[derive(Default)]
pub(crate) struct MessageMutation;

#[Object]
impl MessageMutation {
    /// Sends a message (members only). It is stored before this returns; retrying with the same
    /// `clientMessageId` returns the same message (same id, same seq) and never stores or delivers
    /// a second one.
    #[graphql(guard = "SignedInGuard")]
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation, the text and the client's id for it.")]
        input: SendMessageInput,
    ) -> Result<Message> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &input.conversation_id).extend()?;
        let state = state(ctx)?;
        let (body, client_id) = (&input.body, &input.client_message_id);
        state
            .limiter
            .send_message(user_id, body.len())
            .await
            .extend()?;
        let sent = message::send(&state.db, state.bus.as_ref(), user_id, id, body, client_id)
            .await
            .extend()?;
        Ok(Message {
            message: sent.message,
            members: Arc::new(sent.members),
        })
    }
}

/// Live messages.
#[derive(Default)]
pub(crate) struct MessageSubscription;

#[Subscription]
impl MessageSubscription {
    /// New messages. With `conversationId`: that conversation's (members only), and with
    /// `afterSeq` first every stored message with a higher seq, in order, then live ones, with no
    /// gap and no repeat between the two, so a client that reconnects misses nothing. Without:
    /// every conversation the viewer is in, including ones joined later. A conversation the
    /// viewer leaves stops sending.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation; null for all of the viewer's.")]
        conversation_id: Option<ID>,
        #[graphql(
            desc = "Replay stored messages after this seq first (needs `conversationId`). More than \
                    the server's replay bound (1000 by default) fails with BAD_USER_INPUT: read \
                    those pages from `Conversation.messages` first."
        )]
        after_seq: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Message>> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let conversation_id = conversation_id
            .map(|id| parse_id("conversationId", &id))
            .transpose()
            .extend()?;
        let state = state(ctx)?;
        let (db, bus) = (state.db.clone(), &state.bus);
        let limits = state.limiter.limits();
        let max_replay = limits.enabled.then_some(limits.replay_per_subscription);
        // Boxed: the subscription keeps this resolver's future for as long as it lives, and
        // unboxed it would keep room for the membership queries too (a few KiB per subscriber).
        let messages = Box::pin(stream::messages(
            db,
            bus,
            user_id,
            conversation_id,
            after_seq,
            max_replay,
        ))
        .await
        .extend()?;
        Ok(messages.map(|item| {
            item.map(|(message, members)| Message { message, members })
                .extend()
        }))
    }
}
