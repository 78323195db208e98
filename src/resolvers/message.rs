//! Messages and receipts: `sendMessage`, `markDelivered`, `markRead`.
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::schema::{Message, SendMessageInput, Watermarks};
use crate::services::catalog::parse_id;
use crate::services::conversation::members_of;
use crate::services::message::{self, Watermark};

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
