//! The live message streams behind `messageAdded`, which lose nothing and repeat nothing.
//!
//! A stream subscribes to the bus first and reads the database second, so no message can slip
//! between the two. It remembers, per conversation, the last seq it sent; then:
//! - a message at or below it is a repeat (the replay already sent it, or the bus did twice): skipped;
//! - a message above the next seq means some were missed (published out of order by two instances,
//!   or dropped while the subscriber lagged): they are read from the database first. Seqs commit in
//!   order (each send locks the conversation row), so when seq N is visible, every seq below is;
//! - a `Gap` from the bus (the subscriber fell behind, or the bus reconnected) reads everything after
//!   it from the database;
//! - a `ConversationAt` beacon (`workers::spawn_chat_beacon`) ahead of it means the publish of the
//!   newest messages was lost (their sender died between commit and publish): read them too.
//!
//! A slow subscriber thus never blocks the others (the bus drops what it cannot buffer for it) and
//! never silently misses a message.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::stream::{SelectAll, Stream, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::entities::{conversation, conversation_member, message};
use crate::error::{Error, Result};
use crate::services::conversation::{members_of, membership};

/// Messages read from the database per query when catching up.
const CATCH_UP_PAGE: u64 = 200;

/// The messages of `conversation_id` after `after`, in seq order, up to `until` (inclusive) when
/// given.
async fn stored_after(
    db: &DatabaseConnection,
    conversation_id: i64,
    after: i64,
    until: Option<i64>,
) -> Result<Vec<message::Model>> {
    let mut query = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Seq.gt(after))
        .order_by_asc(message::Column::Seq)
        .limit(CATCH_UP_PAGE);
    if let Some(until) = until {
        query = query.filter(message::Column::Seq.lte(until));
    }
    Ok(query.all(db).await?)
}

/// Where one conversation's stream stands.
struct Cursor {
    conversation_id: i64,
    /// The last seq sent to the subscriber.
    sent: i64,
}

impl Cursor {
    /// The messages to send for `incoming` (a live message, or `None` after a gap): any missed ones
    /// from the database, then `incoming` itself; nothing for a repeat.
    async fn advance(
        &mut self,
        db: &DatabaseConnection,
        incoming: Option<message::Model>,
    ) -> Result<Vec<message::Model>> {
        let mut out = Vec::new();
        match incoming {
            Some(m) if m.seq <= self.sent => {}
            Some(m) if m.seq == self.sent + 1 => {
                self.sent = m.seq;
                out.push(m);
            }
            Some(m) => {
                // Missed some: read them up to this one (which the database has too).
                let until = m.seq;
                while self.sent < until {
                    let page =
                        stored_after(db, self.conversation_id, self.sent, Some(until)).await?;
                    let Some(last) = page.last() else { break };
                    self.sent = last.seq;
                    out.extend(page);
                }
            }
            None => loop {
                let page = stored_after(db, self.conversation_id, self.sent, None).await?;
                let Some(last) = page.last() else { break };
                self.sent = last.seq;
                let full = page.len() as u64 == CATCH_UP_PAGE;
                out.extend(page);
                if !full {
                    break;
                }
            },
        }
        Ok(out)
    }
}

/// The error that ends a stream which could not catch up: it says where to resume from. With
/// several conversations (no `conversationId`) that is where the failing one stood.
fn interrupted(cause: &Error, sent: i64) -> Error {
    tracing::warn!(error = %cause, resume_after_seq = sent, "a message stream could not catch up; ending it");
    Error::StreamInterrupted {
        resume_after_seq: sent,
    }
}

/// A message as a stream hands it out, with the members to derive its status from: read once per
/// batch for stored messages, none for a new one (nobody else can have it yet: it is SENT).
pub type Streamed =
    std::result::Result<(message::Model, Arc<Vec<conversation_member::Model>>), Error>;

/// Pairs a batch with the members its statuses come from. A batch that is just the live message
/// needs no read.
async fn with_members(
    db: &DatabaseConnection,
    batch: Vec<message::Model>,
    live_seq: Option<i64>,
) -> Vec<Streamed> {
    let Some(first) = batch.first() else {
        return Vec::new();
    };
    let members = if batch.len() == 1 && live_seq == Some(first.seq) {
        Vec::new()
    } else {
        members_of(db, first.conversation_id)
            .await
            .unwrap_or_default()
    };
    let members = Arc::new(members);
    batch
        .into_iter()
        .map(|m| Ok((m, members.clone())))
        .collect()
}

/// Messages of one conversation for a member: with `after_seq`, every stored message after it
/// first, then live ones; without, live ones from now. Ends when the member leaves. FORBIDDEN for
/// non-members (checked now, before anything is sent).
pub async fn conversation_messages(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
    conversation_id: i64,
    after_seq: Option<i64>,
) -> Result<impl Stream<Item = Streamed> + use<>> {
    // Subscribe first, then read: nothing committed in between can be missed.
    let mut live = bus.subscribe(&topic::conversation(conversation_id));
    let (conversation, _) = membership(&db, conversation_id, viewer).await?;
    if after_seq.is_some_and(|s| s < 0) {
        return Err(Error::bad_input("afterSeq", "must not be negative"));
    }
    let mut cursor = Cursor {
        conversation_id,
        sent: after_seq.unwrap_or(conversation.last_seq),
    };
    // The stream lives as long as the subscription, and an async block is as large as its largest
    // await: the database work is boxed so that an idle stream does not carry room for a query.
    Ok(async_stream::stream! {
        match Box::pin(cursor.advance(&db, None)).await {
            Ok(replayed) => for item in Box::pin(with_members(&db, replayed, None)).await { yield item },
            Err(err) => { yield Err(interrupted(&err, cursor.sent)); return; }
        }
        while let Some(delivery) = live.next().await {
            let incoming = match delivery {
                Delivery::Event(event) => match event.as_ref() {
                    Event::MessageAdded { message } if message.conversation_id == conversation_id => Some(message.clone()),
                    Event::MembershipChanged { user_id, member: false, .. } if *user_id == viewer => return,
                    // A beacon ahead of what was sent: a publish was lost; catch up.
                    Event::ConversationAt { last_seq, .. } if *last_seq > cursor.sent => None,
                    _ => continue,
                },
                Delivery::Gap => None,
            };
            let live_seq = incoming.as_ref().map(|m| m.seq);
            match Box::pin(cursor.advance(&db, incoming)).await {
                Ok(batch) => for item in Box::pin(with_members(&db, batch, live_seq)).await { yield item },
                Err(err) => { yield Err(interrupted(&err, cursor.sent)); return; }
            }
        }
    })
}

/// Messages of every conversation the viewer is in, including those joined after subscribing, from
/// now on; a conversation the viewer leaves stops sending.
pub async fn all_messages(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
) -> Result<impl Stream<Item = Streamed> + use<>> {
    let mut membership_changes = bus.subscribe(&topic::user(viewer));
    let mut live = SelectAll::new();
    let mut cursors: HashMap<i64, Cursor> = HashMap::new();
    let memberships = conversation_member::Entity::find()
        .filter(conversation_member::Column::UserId.eq(viewer))
        .all(&db)
        .await?;
    for m in &memberships {
        live.push(bus.subscribe(&topic::conversation(m.conversation_id)));
    }
    let ids: Vec<i64> = memberships.iter().map(|m| m.conversation_id).collect();
    for c in conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(ids))
        .all(&db)
        .await?
    {
        cursors.insert(
            c.id,
            Cursor {
                conversation_id: c.id,
                sent: c.last_seq,
            },
        );
    }
    let bus = bus.clone();
    Ok(async_stream::stream! {
        let mut left: HashSet<i64> = HashSet::new();
        loop {
            let (from_user_topic, delivery) = tokio::select! {
                Some(d) = membership_changes.next() => (true, d),
                Some(d) = live.next() => (false, d),
                else => return,
            };
            match (from_user_topic, delivery) {
                (_, Delivery::Event(event)) => match event.as_ref() {
                    Event::MembershipChanged { conversation_id, user_id, member } if *user_id == viewer => {
                        if *member && !cursors.contains_key(conversation_id) {
                            // Subscribe first, then catch up from where the member came in.
                            live.push(bus.subscribe(&topic::conversation(*conversation_id)));
                            let since = Box::pin(conversation_member::Entity::find_by_id((*conversation_id, viewer))
                                .one(&db)).await.ok().flatten().map_or(0, |m| m.last_read_seq);
                            let mut cursor = Cursor { conversation_id: *conversation_id, sent: since };
                            if let Ok(batch) = Box::pin(cursor.advance(&db, None)).await {
                                for item in Box::pin(with_members(&db, batch, None)).await { yield item }
                            }
                            cursors.insert(*conversation_id, cursor);
                            left.remove(conversation_id);
                        } else if !*member {
                            cursors.remove(conversation_id);
                            left.insert(*conversation_id);
                        }
                    }
                    Event::ConversationAt { conversation_id, last_seq } => {
                        let Some(cursor) = cursors.get_mut(conversation_id) else { continue };
                        if *last_seq <= cursor.sent { continue }
                        match Box::pin(cursor.advance(&db, None)).await {
                            Ok(batch) => for item in Box::pin(with_members(&db, batch, None)).await { yield item },
                            Err(err) => { yield Err(interrupted(&err, cursor.sent)); return; }
                        }
                    }
                    Event::MessageAdded { message } if !left.contains(&message.conversation_id) => {
                        let Some(cursor) = cursors.get_mut(&message.conversation_id) else { continue };
                        match Box::pin(cursor.advance(&db, Some(message.clone()))).await {
                            Ok(batch) => for item in Box::pin(with_members(&db, batch, Some(message.seq))).await { yield item },
                            Err(err) => { yield Err(interrupted(&err, cursor.sent)); return; }
                        }
                    }
                    _ => {}
                },
                (_, Delivery::Gap) => {
                    for cursor in cursors.values_mut() {
                        match Box::pin(cursor.advance(&db, None)).await {
                            Ok(batch) => for item in Box::pin(with_members(&db, batch, None)).await { yield item },
                            Err(err) => { yield Err(interrupted(&err, cursor.sent)); return; }
                        }
                    }
                }
            }
        }
    })
}
