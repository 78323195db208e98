//! Messages: sending (stored before it is acknowledged, a gapless `seq` per conversation, a retry
//! returning the stored message), and a message's status as its sender sees it, derived from the
//! other members' watermarks (`chat::receipt`).
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::bus::{Event, EventBus, topic};
use crate::db::begin_write;
use crate::domain::status::MessageStatus;
use crate::entities::{conversation, conversation_member, message};
use crate::error::{Error, Result, is_unique_violation};
use crate::services::chat::conversation::{members_of, membership};

/// Longest message body, in characters.
pub(crate) const MAX_BODY: usize = 4000;

/// The status of `message` given the conversation's members (the sender's own watermarks do not
/// count; a conversation the others all left stays SENT).
pub(crate) fn status_of(
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
pub(crate) fn clean_body(body: &str) -> Result<String> {
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

/// A message just sent, with the conversation's members its status is derived from: a retry
/// returns a message the others may have read since.
pub(crate) struct Sent {
    pub(crate) message: message::Model,
    pub(crate) members: Vec<conversation_member::Model>,
}

/// [`send_message`], then the members the message's status is derived from.
pub(crate) async fn send(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    sender: i64,
    conversation_id: i64,
    body: &str,
    client_message_id: &str,
) -> Result<Sent> {
    let message = send_message(db, bus, sender, conversation_id, body, client_message_id).await?;
    let members = members_of(db, conversation_id).await?;
    Ok(Sent { message, members })
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
