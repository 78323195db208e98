//! Messages: sending (stored before it is acknowledged, a gapless `seq` per conversation, a retry
//! returning the stored message), history by seq and time, and the delivered and read watermarks
//! from which a message's status is derived.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::bus::{Event, EventBus, topic};
use crate::db::begin_write;
use crate::entities::{conversation, conversation_member, message};
use crate::error::{Error, Result, is_unique_violation};
use crate::services::conversation::membership;

/// Longest message body, in characters.
pub const MAX_BODY: usize = 4000;

/// Where a message stands for its sender, derived from the other members' watermarks.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MessageStatus {
    /// Stored; not every other member has it yet.
    Sent,
    /// Every other member has it on a device.
    Delivered,
    /// Every other member has read it.
    Read,
}

/// The status of `message` given the conversation's members (the sender's own watermarks do not
/// count; a conversation the others all left stays SENT).
pub fn status_of(
    message: &message::Model,
    members: &[conversation_member::Model],
) -> MessageStatus {
    let others: Vec<&conversation_member::Model> = members
        .iter()
        .filter(|m| m.user_id != message.sender_id)
        .collect();
    if others.is_empty() {
        MessageStatus::Sent
    } else if others.iter().all(|m| m.last_read_seq >= message.seq) {
        MessageStatus::Read
    } else if others.iter().all(|m| m.last_delivered_seq >= message.seq) {
        MessageStatus::Delivered
    } else {
        MessageStatus::Sent
    }
}

/// Checks and normalises a body: trimmed, 1..=4000 characters, no control characters but newlines
/// and tabs (a Windows line ending becomes a newline).
pub fn clean_body(body: &str) -> Result<String> {
    let body = body.replace("\r\n", "\n");
    let body = body.trim();
    let length = body.chars().count();
    if length == 0 || length > MAX_BODY {
        return Err(Error::bad_input(
            "body",
            format!("must be 1 to {MAX_BODY} characters"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::bad_input(
            "body",
            "must not contain control characters other than newlines and tabs",
        ));
    }
    Ok(body.to_owned())
}

/// Sends a message: stored with the conversation's next seq before this returns, then published
/// to the conversation's subscribers. A retry with the same `client_message_id` returns the stored
/// message (same id and seq) and publishes nothing.
pub async fn send_message(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    sender: i64,
    conversation_id: i64,
    body: &str,
    client_message_id: &str,
) -> Result<message::Model> {
    let body = clean_body(body)?;
    let client_id = client_message_id.trim();
    if client_id.is_empty()
        || client_id.chars().count() > 100
        || client_id.chars().any(char::is_control)
    {
        return Err(Error::bad_input(
            "clientMessageId",
            "must be 1 to 100 printable characters",
        ));
    }
    // Two attempts: a concurrent retry of the same message can lose the race on the unique index,
    // and then finds the winner's message.
    for _ in 0..2 {
        match store(db, sender, conversation_id, &body, client_id).await {
            Ok(Stored::New(message)) => {
                let event = Event::MessageAdded {
                    message: message.clone(),
                };
                // The message is stored: a failed publish delays it (subscribers fill gaps from
                // the database) but loses nothing, so it does not fail the send.
                if let Err(err) = bus
                    .publish(&topic::conversation(conversation_id), &event)
                    .await
                {
                    tracing::warn!(error = %err, conversation_id, "could not publish a message");
                }
                return Ok(message);
            }
            Ok(Stored::Existing(message)) => return Ok(message),
            Err(Error::Internal(err))
                if err
                    .downcast_ref::<sea_orm::DbErr>()
                    .is_some_and(is_unique_violation) =>
            {
                continue;
            }
            Err(other) => return Err(other),
        }
    }
    Err(Error::Conflict(
        "the message is being sent by another request; retry".into(),
    ))
}

enum Stored {
    New(message::Model),
    Existing(message::Model),
}

async fn store(
    db: &DatabaseConnection,
    sender: i64,
    conversation_id: i64,
    body: &str,
    client_id: &str,
) -> Result<Stored> {
    let txn = begin_write(db).await?;
    membership(&txn, conversation_id, sender).await?;
    if let Some(existing) = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::SenderId.eq(sender))
        .filter(message::Column::ClientMessageId.eq(client_id))
        .one(&txn)
        .await?
    {
        return Ok(Stored::Existing(existing));
    }
    let now = chrono::Utc::now();
    // The next seq comes from one UPDATE … RETURNING on the conversation row: its lock orders the
    // senders of a conversation, and a rolled-back send gives its seq back, so seqs have no gaps.
    let bumped = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::LastSeq,
            Expr::col(conversation::Column::LastSeq).add(1),
        )
        .col_expr(conversation::Column::LastActivityAt, Expr::val(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec_with_returning(&txn)
        .await?;
    let seq = bumped
        .first()
        .map(|c| c.last_seq)
        .ok_or(Error::NotFound("conversation"))?;
    let stored = message::ActiveModel {
        conversation_id: Set(conversation_id),
        seq: Set(seq),
        sender_id: Set(sender),
        client_message_id: Set(client_id.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The sender has their own message: their watermarks move with it.
    conversation_member::Entity::update_many()
        .col_expr(
            conversation_member::Column::LastDeliveredSeq,
            Expr::val(seq),
        )
        .col_expr(conversation_member::Column::LastReadSeq, Expr::val(seq))
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .filter(conversation_member::Column::UserId.eq(sender))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Stored::New(stored))
}

/// Which page of history to read. Cursors are seqs.
#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    /// Only messages sent at or after this time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only messages sent before this time.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A page of history in seq order.
#[derive(Clone, Debug)]
pub struct HistoryPage {
    pub messages: Vec<message::Model>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Most messages one page may ask for; and how many a page without `first` or `last` holds.
pub const MAX_PAGE: i32 = 100;
const DEFAULT_PAGE: i32 = 20;

fn seq_cursor(field: &str, value: &Option<String>) -> Result<Option<i64>> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| Error::bad_input(field, "is not a cursor from this conversation"))
        })
        .transpose()
}

/// A page of a conversation's history for a member: forward with `first`/`after`, or the newest
/// page first with `last`/`before` (the default: the last 20); `since`/`until` narrow it in time.
pub async fn history(
    db: &impl ConnectionTrait,
    viewer: i64,
    conversation_id: i64,
    query: &HistoryQuery,
) -> Result<HistoryPage> {
    membership(db, conversation_id, viewer).await?;
    if query.first.is_some() && query.last.is_some() {
        return Err(Error::bad_input("first", "give first or last, not both"));
    }
    let after = seq_cursor("after", &query.after)?;
    let before = seq_cursor("before", &query.before)?;
    let mut select =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    if let Some(after) = after {
        select = select.filter(message::Column::Seq.gt(after));
    }
    if let Some(before) = before {
        select = select.filter(message::Column::Seq.lt(before));
    }
    if let Some(since) = query.since {
        select = select.filter(message::Column::CreatedAt.gte(since));
    }
    if let Some(until) = query.until {
        select = select.filter(message::Column::CreatedAt.lt(until));
    }
    let forward = query.first.is_some();
    let size = query.first.or(query.last).unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&size) {
        let field = if forward { "first" } else { "last" };
        return Err(Error::bad_input(
            field,
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let select = if forward {
        select.order_by_asc(message::Column::Seq)
    } else {
        select.order_by_desc(message::Column::Seq)
    };
    let mut messages = select.limit(size as u64 + 1).all(db).await?;
    let more = messages.len() > size as usize;
    messages.truncate(size as usize);
    if !forward {
        messages.reverse();
    }
    Ok(HistoryPage {
        messages,
        has_next_page: if forward { more } else { before.is_some() },
        has_previous_page: if forward {
            after.is_some_and(|a| a > 0)
        } else {
            more
        },
    })
}

/// Which watermark to move.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Watermark {
    Delivered,
    Read,
}

/// Moves the member's watermark forward to `seq` (a lower one is ignored, a higher one than the
/// newest message is clamped; reading implies delivery) and tells the conversation's subscribers
/// when it moved. Returns the member's watermarks.
pub async fn mark(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_and_keep_newlines_and_tabs() {
        assert_eq!(clean_body("  hi\r\nthere\t!  ").unwrap(), "hi\nthere\t!");
        assert!(clean_body("   ").is_err());
        assert!(clean_body("bell\u{7}").is_err());
        assert!(clean_body(&"x".repeat(MAX_BODY)).is_ok());
        assert!(clean_body(&"x".repeat(MAX_BODY + 1)).is_err());
    }

    fn member(user_id: i64, delivered: i64, read: i64) -> conversation_member::Model {
        conversation_member::Model {
            conversation_id: 1,
            user_id,
            last_delivered_seq: delivered,
            last_read_seq: read,
            joined_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_message_is_read_once_every_other_member_read_it() {
        let message = message::Model {
            id: 1,
            conversation_id: 1,
            seq: 5,
            sender_id: 1,
            client_message_id: "c".into(),
            body: "b".into(),
            created_at: chrono::Utc::now(),
        };
        let sent = [member(1, 5, 5), member(2, 4, 4), member(3, 9, 9)];
        assert_eq!(status_of(&message, &sent), MessageStatus::Sent);
        let delivered = [member(1, 5, 5), member(2, 5, 4), member(3, 9, 9)];
        assert_eq!(status_of(&message, &delivered), MessageStatus::Delivered);
        let read = [member(1, 5, 5), member(2, 5, 5), member(3, 9, 9)];
        assert_eq!(status_of(&message, &read), MessageStatus::Read);
    }
}
