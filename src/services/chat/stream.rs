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
//! - a `ConversationAt` beacon (`chat::beacon`) ahead of it means the publish of the newest messages
//!   was lost (their sender died between commit and publish): read them too.
//!
//! A slow subscriber thus never blocks the others (the bus drops what it cannot buffer for it) and
//! never silently misses a message. A stream that cannot read the database ends with an error that
//! says from which seq to resume; it never sends a message it could not give a true status.
use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, SelectAll, Stream, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::entities::{conversation, conversation_member, message};
use crate::error::{Error, Result};
use crate::services::chat::conversation::{members_of, membership};

/// Messages read from the database per query when catching up.
const CATCH_UP_PAGE: u64 = 200;

/// A message as a stream hands it out, with the members to derive its status from: read once per
/// batch for stored messages, none for a new one (nobody else can have it yet: it is SENT).
pub(crate) type Streamed = (message::Model, Arc<Vec<conversation_member::Model>>);

/// New messages for `viewer`. With `conversation_id`: that conversation's (members only, FORBIDDEN
/// otherwise, checked now), and with `after_seq` every stored message after it first; the stream
/// ends when the viewer leaves. Without: every conversation the viewer is in, including those
/// joined later, from now on. A replay of more than `max_replay` messages is refused
/// (BAD_USER_INPUT on `afterSeq`) before anything is sent: those are read page by page from the
/// conversation's `messages` history, then the subscription resumes from the last one read.
pub async fn messages(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
    conversation_id: Option<i64>,
    after_seq: Option<i64>,
    max_replay: Option<u64>,
) -> Result<impl Stream<Item = Result<Streamed>> + use<>> {
    let followed = match conversation_id {
        Some(id) => Followed::one(&db, bus, viewer, id, after_seq, max_replay).await?,
        None if after_seq.is_some() => {
            return Err(Error::bad_input("afterSeq", "needs a conversationId"));
        }
        None => Followed::every(&db, bus, viewer).await?,
    };
    let stream = MessageStream {
        db,
        bus: bus.clone(),
        viewer,
        replay: after_seq.is_some(),
        followed,
        ready: VecDeque::new(),
        failed: None,
        ended: false,
    };
    Ok(stream::unfold(stream, |mut stream| async move {
        let next = stream.next().await?;
        Some((next, stream))
    }))
}

/// The conversations a stream follows, their topics, and the last seq sent in each.
enum Followed {
    /// One conversation (`conversationId` given), kept inline: most subscribers are these, and an
    /// idle one should cost little.
    One {
        conversation_id: i64,
        sent: i64,
        live: BoxStream<'static, Delivery>,
    },
    /// Every conversation of the viewer, and the viewer's own topic, where joining is announced.
    Every {
        sent: Vec<(i64, i64)>,
        live: SelectAll<BoxStream<'static, Delivery>>,
        joins: BoxStream<'static, Delivery>,
    },
}

impl Followed {
    async fn one(
        db: &DatabaseConnection,
        bus: &SharedBus,
        viewer: i64,
        conversation_id: i64,
        after_seq: Option<i64>,
        max_replay: Option<u64>,
    ) -> Result<Self> {
        // Subscribe first, then read: nothing committed in between can be missed.
        let live = bus.subscribe(&topic::conversation(conversation_id));
        let (conversation, _) = membership(db, conversation_id, viewer).await?;
        if after_seq.is_some_and(|s| s < 0) {
            return Err(Error::bad_input("afterSeq", "must not be negative"));
        }
        // Seqs are dense: the difference is the number of messages to replay.
        let missed = after_seq.map_or(0, |after| conversation.last_seq - after);
        if let Some(max) = max_replay.filter(|max| missed > *max as i64) {
            return Err(Error::bad_input(
                "afterSeq",
                format!(
                    "{missed} messages follow it, more than the {max} a subscription replays; \
                     read them with conversation(id).messages(first:, after:), then subscribe \
                     with the seq of the last one read"
                ),
            ));
        }
        Ok(Followed::One {
            conversation_id,
            sent: after_seq.unwrap_or(conversation.last_seq),
            live,
        })
    }

    async fn every(db: &DatabaseConnection, bus: &SharedBus, viewer: i64) -> Result<Self> {
        let joins = bus.subscribe(&topic::user(viewer));
        let memberships = conversation_member::Entity::find()
            .filter(conversation_member::Column::UserId.eq(viewer))
            .all(db)
            .await?;
        let mut live = SelectAll::new();
        for m in &memberships {
            live.push(bus.subscribe(&topic::conversation(m.conversation_id)));
        }
        let ids = memberships.iter().map(|m| m.conversation_id);
        let sent = conversation::Entity::find()
            .filter(conversation::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.last_seq))
            .collect();
        Ok(Followed::Every { sent, live, joins })
    }

    /// The last seq sent in `conversation_id`, if the stream follows it.
    fn sent(&self, conversation_id: i64) -> Option<i64> {
        match self {
            Followed::One {
                conversation_id: id,
                sent,
                ..
            } => (*id == conversation_id).then_some(*sent),
            Followed::Every { sent, .. } => sent
                .iter()
                .find(|(id, _)| *id == conversation_id)
                .map(|(_, seq)| *seq),
        }
    }

    fn set_sent(&mut self, conversation_id: i64, seq: i64) {
        match self {
            Followed::One { sent, .. } => *sent = seq,
            Followed::Every { sent, .. } => {
                match sent.iter_mut().find(|(id, _)| *id == conversation_id) {
                    Some(entry) => entry.1 = seq,
                    None => sent.push((conversation_id, seq)),
                }
            }
        }
    }

    fn conversations(&self) -> Vec<i64> {
        match self {
            Followed::One {
                conversation_id, ..
            } => vec![*conversation_id],
            Followed::Every { sent, .. } => sent.iter().map(|(id, _)| *id).collect(),
        }
    }

    async fn next_delivery(&mut self) -> Option<Delivery> {
        match self {
            Followed::One { live, .. } => live.next().await,
            Followed::Every { live, joins, .. } => tokio::select! {
                Some(delivery) = joins.next() => Some(delivery),
                Some(delivery) = live.next() => Some(delivery),
                else => None,
            },
        }
    }
}

/// Where one `messageAdded` subscription stands.
struct MessageStream {
    db: DatabaseConnection,
    bus: SharedBus,
    viewer: i64,
    /// Whether stored messages are still to be read first (a replay from `afterSeq`).
    replay: bool,
    followed: Followed,
    /// Messages to send before listening again. Emptied of its buffer once sent: an idle
    /// subscription keeps no room for the last batch.
    ready: VecDeque<Streamed>,
    /// Why the stream stops, sent once what was read before the failure has gone out.
    failed: Option<Error>,
    ended: bool,
}

impl MessageStream {
    /// The next message; `None` once the stream is over, an error (then `None`) once it cannot go
    /// on without a hole.
    async fn next(&mut self) -> Option<Result<Streamed>> {
        loop {
            if let Some(message) = self.ready.pop_front() {
                if self.ready.is_empty() {
                    self.ready = VecDeque::new();
                }
                return Some(Ok(message));
            }
            if let Some(error) = self.failed.take() {
                return Some(Err(error));
            }
            if self.ended {
                return None;
            }
            let handled = if std::mem::take(&mut self.replay) {
                self.catch_up_everywhere().await
            } else {
                let delivery = self.followed.next_delivery().await?;
                self.handle(delivery).await
            };
            if let Err(error) = handled {
                self.failed = Some(error);
                self.ended = true;
            }
        }
    }

    async fn handle(&mut self, delivery: Delivery) -> Result<()> {
        let event = match delivery {
            Delivery::Event(event) => event,
            Delivery::Gap => return self.catch_up_everywhere().await,
        };
        match event.as_ref() {
            Event::MessageAdded { message }
                if self.followed.sent(message.conversation_id).is_some() =>
            {
                self.advance(message.conversation_id, Some(message.clone()))
                    .await
            }
            // A beacon ahead of what was sent: a publish was lost; catch up.
            Event::ConversationAt {
                conversation_id,
                last_seq,
            } if self
                .followed
                .sent(*conversation_id)
                .is_some_and(|s| s < *last_seq) =>
            {
                self.advance(*conversation_id, None).await
            }
            Event::MembershipChanged {
                conversation_id,
                user_id,
                member,
            } if *user_id == self.viewer => {
                match (&mut self.followed, *member) {
                    (Followed::One { .. }, false) => self.ended = true,
                    (Followed::Every { sent, .. }, false) => {
                        sent.retain(|(id, _)| id != conversation_id);
                    }
                    (Followed::Every { .. }, true) => {
                        if self.followed.sent(*conversation_id).is_none() {
                            self.join(*conversation_id).await?;
                        }
                    }
                    (Followed::One { .. }, true) => {}
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Follows a conversation the viewer just joined, from where they came in.
    async fn join(&mut self, conversation_id: i64) -> Result<()> {
        // Subscribe first, then catch up.
        if let Followed::Every { live, .. } = &mut self.followed {
            live.push(self.bus.subscribe(&topic::conversation(conversation_id)));
        }
        let joined = Box::pin(
            conversation_member::Entity::find_by_id((conversation_id, self.viewer)).one(&self.db),
        )
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, conversation_id, "a message stream could not follow a new conversation; ending it");
            Error::StreamInterrupted {
                resume_after_seq: None,
            }
        })?;
        // Left again already: nothing to follow.
        let Some(member) = joined else { return Ok(()) };
        self.followed
            .set_sent(conversation_id, member.last_read_seq);
        self.advance(conversation_id, None).await
    }

    async fn catch_up_everywhere(&mut self) -> Result<()> {
        let mut conversations = self.followed.conversations();
        conversations.sort_unstable();
        for conversation_id in conversations {
            self.advance(conversation_id, None).await?;
        }
        Ok(())
    }

    /// Queues the messages to send for `incoming` (a live message, or `None` to read whatever is
    /// newer): any missed ones from the database, then `incoming` itself; nothing for a repeat.
    /// On a failed read nothing of the batch is sent, and the error says where to resume.
    async fn advance(
        &mut self,
        conversation_id: i64,
        incoming: Option<message::Model>,
    ) -> Result<()> {
        let Some(sent) = self.followed.sent(conversation_id) else {
            return Ok(());
        };
        let resume = |err: Error| {
            tracing::warn!(error = %err, resume_after_seq = sent, "a message stream could not catch up; ending it");
            Error::StreamInterrupted {
                resume_after_seq: Some(sent),
            }
        };
        let live_seq = incoming.as_ref().map(|m| m.seq);
        let batch = match incoming {
            Some(m) if m.seq <= sent => return Ok(()),
            Some(m) if m.seq == sent + 1 => vec![m],
            // Missed some: read them up to this one (which the database has too).
            Some(m) => Box::pin(stored_after(&self.db, conversation_id, sent, Some(m.seq)))
                .await
                .map_err(resume)?,
            None => Box::pin(stored_after(&self.db, conversation_id, sent, None))
                .await
                .map_err(resume)?,
        };
        let Some(last) = batch.last().map(|m| m.seq) else {
            return Ok(());
        };
        // A lone new message has no reader yet: it is SENT, and needs no read to say so.
        let members = if batch.len() == 1 && live_seq == Some(last) {
            Vec::new()
        } else {
            Box::pin(members_of(&self.db, conversation_id))
                .await
                .map_err(resume)?
        };
        let members = Arc::new(members);
        self.followed.set_sent(conversation_id, last);
        self.ready
            .extend(batch.into_iter().map(|m| (m, members.clone())));
        Ok(())
    }
}

/// The messages of a conversation after `after`, in seq order, up to `until` (inclusive) when
/// given, or to the newest.
async fn stored_after(
    db: &DatabaseConnection,
    conversation_id: i64,
    after: i64,
    until: Option<i64>,
) -> Result<Vec<message::Model>> {
    let mut out = Vec::new();
    let mut from = after;
    loop {
        let mut query = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation_id))
            .filter(message::Column::Seq.gt(from))
            .order_by_asc(message::Column::Seq)
            .limit(CATCH_UP_PAGE);
        if let Some(until) = until {
            query = query.filter(message::Column::Seq.lte(until));
        }
        let page = query.all(db).await?;
        let full = page.len() as u64 == CATCH_UP_PAGE;
        let Some(last) = page.last().map(|m| m.seq) else {
            return Ok(out);
        };
        from = last;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}
