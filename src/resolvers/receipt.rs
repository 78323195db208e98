//! `markDelivered`, `markRead` and the `readReceipt` subscription.
use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::parse_id;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::receipt::{ReadReceipt, Watermarks};
use crate::services::chat::receipt::{self, Watermark};

/// Moving the viewer's watermarks.
#[derive(Default)]
pub(crate) struct ReceiptMutation;

#[Object]
impl ReceiptMutation {
    /// Moves the viewer's delivered watermark forward to `seq`: a lower seq is ignored, one above
    /// the newest message is clamped.
    #[graphql(guard = "SignedInGuard")]
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation the messages arrived in.")] conversation_id: ID,
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
        #[graphql(desc = "The conversation the messages were read in.")] conversation_id: ID,
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
    let state = state(ctx)?;
    receipt::mark(&state.db, state.bus.as_ref(), user_id, id, seq, which)
        .await
        .map(Watermarks::from)
        .extend()
}

/// Live receipts.
#[derive(Default)]
pub(crate) struct ReceiptSubscription;

#[Subscription]
impl ReceiptSubscription {
    /// Members' delivered and read watermarks as they move, in a conversation the viewer is in.
    async fn read_receipt(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation to follow.")] conversation_id: ID,
    ) -> Result<impl Stream<Item = Result<ReadReceipt>> + use<>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx)?;
        let receipts = receipt::receipts(state.db.clone(), &state.bus, user_id, id)
            .await
            .extend()?;
        Ok(receipts.map(|receipt| receipt.map(ReadReceipt).extend()))
    }
}
