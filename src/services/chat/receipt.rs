//! Read receipts: members' delivered and read watermarks, which only move forward, and the stream of
//! their moves.
use std::collections::{HashMap, VecDeque};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::bus::{Delivery, Event, EventBus, SharedBus, topic};
use crate::entities::conversation_member;
use crate::error::{Error, Result};
use crate::services::chat::conversation::{members_of, membership};

/// Which watermark to move.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Watermark {
    Delivered,
    Read,
}

/// Moves the member's watermark forward to `seq` (a lower one is ignored, a higher one than the
/// newest message is clamped; reading implies delivery) and tells the conversation's subscribers
/// when it moved. Returns the member's watermarks.
pub(crate) async fn mark(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    user_id: i64,
    conversation_id: i64,
    seq: i64,
    which: Watermark,
) -> Result<conversation_member::Model> {
    if seq < 0 {
        return Err(Error::bad_input("seq", "must not be negative"));
    }
    let (conversation, before) = membership(db, conversation_id, user_id).await?;
    let seq = Ord::min(seq, conversation.last_seq);
    let forward = |col: conversation_member::Column| {
        Expr::case(Expr::col(col).lt(seq), Expr::val(seq)).finally(Expr::col(col))
    };
    let mut update = conversation_member::Entity::update_many()
        .col_expr(
            conversation_member::Column::LastDeliveredSeq,
            forward(conversation_member::Column::LastDeliveredSeq).into(),
        )
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .filter(conversation_member::Column::UserId.eq(user_id));
    if which == Watermark::Read {
        update = update.col_expr(
            conversation_member::Column::LastReadSeq,
            forward(conversation_member::Column::LastReadSeq).into(),
        );
    }
    let after = update
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or(Error::Forbidden)?;
    if (after.last_delivered_seq, after.last_read_seq)
        != (before.last_delivered_seq, before.last_read_seq)
    {
        let event = Event::ReceiptUpdated {
            conversation_id,
            user_id,
            last_delivered_seq: after.last_delivered_seq,
            last_read_seq: after.last_read_seq,
        };
        if let Err(err) = bus
            .publish(&topic::conversation(conversation_id), &event)
            .await
        {
            tracing::warn!(error = %err, conversation_id, "could not publish a receipt");
        }
    }
    Ok(after)
}

/// A member's watermarks after they moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub conversation_id: i64,
    pub user_id: i64,
    pub last_delivered_seq: i64,
    pub last_read_seq: i64,
}

/// Receipts of a conversation for a member, from now on; ends when the member leaves. On a gap the
/// members' watermarks are read again and those that moved are sent; if they cannot be read, the
/// stream ends with an error rather than go on with a hole. FORBIDDEN for non-members.
pub async fn receipts(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
    conversation_id: i64,
) -> Result<impl Stream<Item = Result<Receipt>> + use<>> {
    let live = bus.subscribe(&topic::conversation(conversation_id));
    membership(&db, conversation_id, viewer).await?;
    let known = members_of(&db, conversation_id)
        .await?
        .iter()
        .map(|m| (m.user_id, (m.last_delivered_seq, m.last_read_seq)))
        .collect();
    let receipts = Receipts {
        db,
        viewer,
        conversation_id,
        live,
        known,
        ready: VecDeque::new(),
        ended: false,
    };
    Ok(stream::unfold(receipts, |mut receipts| async move {
        let next = receipts.next().await?;
        Some((next, receipts))
    }))
}

/// Where one `readReceipt` subscription stands.
struct Receipts {
    db: DatabaseConnection,
    viewer: i64,
    conversation_id: i64,
    live: BoxStream<'static, Delivery>,
    /// Each member's watermarks as last sent: a receipt that moves nothing is not news.
    known: HashMap<i64, (i64, i64)>,
    /// Receipts to send before listening again (a gap can find several).
    ready: VecDeque<Receipt>,
    ended: bool,
}

impl Receipts {
    /// The next receipt; `None` once the viewer left, an error once watermarks cannot be read.
    async fn next(&mut self) -> Option<Result<Receipt>> {
        loop {
            if let Some(receipt) = self.ready.pop_front() {
                if self.ready.is_empty() {
                    // An idle subscription keeps no room for its last batch.
                    self.ready = VecDeque::new();
                }
                return Some(Ok(receipt));
            }
            if self.ended {
                return None;
            }
            match self.live.next().await? {
                Delivery::Event(event) => match event.as_ref() {
                    Event::ReceiptUpdated {
                        conversation_id,
                        user_id,
                        last_delivered_seq,
                        last_read_seq,
                    } if *conversation_id == self.conversation_id => {
                        self.moved(*user_id, (*last_delivered_seq, *last_read_seq))
                    }
                    Event::MembershipChanged {
                        user_id,
                        member: false,
                        ..
                    } if *user_id == self.viewer => return None,
                    _ => {}
                },
                // Missed some: what the members' watermarks are now says what moved meanwhile.
                Delivery::Gap => match Box::pin(members_of(&self.db, self.conversation_id)).await {
                    Ok(members) => {
                        for m in members {
                            self.moved(m.user_id, (m.last_delivered_seq, m.last_read_seq));
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "a receipt stream could not catch up; ending it");
                        self.ended = true;
                        return Some(Err(Error::StreamInterrupted {
                            resume_after_seq: None,
                        }));
                    }
                },
            }
        }
    }

    fn moved(&mut self, user_id: i64, (delivered, read): (i64, i64)) {
        if self.known.insert(user_id, (delivered, read)) != Some((delivered, read)) {
            self.ready.push_back(Receipt {
                conversation_id: self.conversation_id,
                user_id,
                last_delivered_seq: delivered,
                last_read_seq: read,
            });
        }
    }
}
