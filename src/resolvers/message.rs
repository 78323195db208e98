//! Messages, receipts and typing: `sendMessage`, `markDelivered`, `markRead`, `setTyping`; the
//! `messageAdded`, `readReceipt` and `typing` subscriptions.
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::error::Error;
use crate::schema::{Message, ReadReceipt, SendMessageInput, TypingEvent, Watermarks};
use crate::services::conversation::members_of;
use crate::services::id::parse_id;
use crate::services::message::{self, Watermark};
use crate::services::{message_stream, receipt, typing};

/// Message mutations.
#[derive(Default)]
pub struct MessageMutation;

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
        let state = state(ctx);
        let sent = message::send_message(
            &state.db,
            state.bus.as_ref(),
            user_id,
            id,
            &input.body,
            &input.client_message_id,
        )
        .await
        .extend()?;
        let members = members_of(&state.db, id).await.extend()?;
        Ok(Message {
            message: sent,
            members: Arc::new(members),
        })
    }

    /// Tells the conversation's other members that the viewer is (or stopped) typing. Never stored;
    /// a `true` lapses by itself after 5 seconds unless repeated. Members only.
    #[graphql(guard = "SignedInGuard")]
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation.")] conversation_id: ID,
        #[graphql(desc = "Whether the viewer is typing.")] is_typing: bool,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx);
        typing::set_typing(
            &state.db,
            state.bus.as_ref(),
            &state.typing,
            user_id,
            id,
            is_typing,
        )
        .await
        .extend()?;
        Ok(true)
    }

    /// Moves the viewer's delivered watermark forward to `seq`: a lower seq is ignored, one above
    /// the newest message is clamped.
    #[graphql(guard = "SignedInGuard")]
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation.")] conversation_id: ID,
        #[graphql(desc = "Every message up to this seq has arrived.")] seq: i64,
    ) -> Result<Watermarks> {
        mark(ctx, conversation_id, seq, Watermark::Delivered).await
    }

    /// Moves the viewer's read (and delivered) watermark forward to `seq`: a lower seq is ignored,
    /// one above the newest message is clamped. The other members' `readReceipt` subscriptions hear
    /// of it.
    #[graphql(guard = "SignedInGuard")]
    async fn mark_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation.")] conversation_id: ID,
        #[graphql(desc = "Every message up to this seq has been read.")] seq: i64,
    ) -> Result<Watermarks> {
        mark(ctx, conversation_id, seq, Watermark::Read).await
    }
}

async fn mark(
    ctx: &Context<'_>,
    conversation_id: ID,
    seq: i64,
    which: Watermark,
) -> Result<Watermarks> {
    let user_id = viewer(ctx).user_id().extend()?;
    let id = parse_id("conversationId", &conversation_id).extend()?;
    let state = state(ctx);
    let member = message::mark(&state.db, state.bus.as_ref(), user_id, id, seq, which)
        .await
        .extend()?;
    Ok(Watermarks {
        last_delivered_seq: member.last_delivered_seq,
        last_read_seq: member.last_read_seq,
    })
}

/// Chat subscriptions.
#[derive(Default)]
pub struct MessageSubscription;

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
        #[graphql(desc = "Replay stored messages after this seq first (needs `conversationId`).")]
        after_seq: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Message>> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let state = state(ctx);
        // Boxed: the subscription keeps this resolver's future for as long as it lives, and
        // unboxed it would keep room for the membership queries too (a few KiB per subscriber).
        let stream = match conversation_id {
            Some(id) => {
                let id = parse_id("conversationId", &id).extend()?;
                Box::pin(message_stream::conversation_messages(
                    state.db.clone(),
                    &state.bus,
                    user_id,
                    id,
                    after_seq,
                ))
                .await
                .extend()?
                .boxed()
            }
            None if after_seq.is_some() => {
                return Err(Error::bad_input("afterSeq", "needs a conversationId")).extend();
            }
            None => Box::pin(message_stream::all_messages(
                state.db.clone(),
                &state.bus,
                user_id,
            ))
            .await
            .extend()?
            .boxed(),
        };
        Ok(stream.map(|item| {
            item.map(|(message, members)| Message { message, members })
                .extend()
        }))
    }

    /// Members' delivered and read watermarks as they move, in a conversation the viewer is in.
    async fn read_receipt(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation.")] conversation_id: ID,
    ) -> Result<impl Stream<Item = ReadReceipt> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx);
        let stream = receipt::receipts(state.db.clone(), &state.bus, user_id, id)
            .await
            .extend()?;
        Ok(stream.map(ReadReceipt))
    }

    /// Who starts and stops typing in a conversation the viewer is in (the viewer's own typing is
    /// not sent back). A `true` not repeated within 5 seconds is followed by a `false`.
    async fn typing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation.")] conversation_id: ID,
    ) -> Result<impl Stream<Item = TypingEvent> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx);
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
