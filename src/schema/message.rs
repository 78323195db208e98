//! `Message` and the history connection.
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject};

use crate::entities::{conversation_member, message};
use crate::error::Error;
use crate::loaders::{Loaders, gql_error};
use crate::schema::User;
use crate::schema::connection::PageInfo;
use crate::services::message::{MessageStatus, status_of};

/// A chat message.
pub struct Message {
    pub(crate) message: message::Model,
    /// The conversation's members as read with the message, for its status.
    pub(crate) members: Arc<Vec<conversation_member::Model>>,
}

/// A chat message.
#[Object]
impl Message {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.message.id.to_string())
    }

    /// The conversation it belongs to.
    async fn conversation_id(&self) -> ID {
        ID(self.message.conversation_id.to_string())
    }

    /// 1, 2, 3… within the conversation: no gap, no repeat, the order every member sees.
    async fn seq(&self) -> i64 {
        self.message.seq
    }

    /// The id the sender's client gave it; a retried send with it returns this message.
    async fn client_message_id(&self) -> &str {
        &self.message.client_message_id
    }

    /// The text, 1..4000 characters.
    async fn body(&self) -> &str {
        &self.message.body
    }

    /// When it was stored.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.message.created_at
    }

    /// Who sent it.
    async fn sender(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.message.sender_id).await
    }

    /// For the sender: SENT, DELIVERED (every other member has it) or READ (every other member
    /// read it), from the members' watermarks.
    async fn status(&self) -> MessageStatus {
        status_of(&self.message, &self.members)
    }
}

/// A page of a conversation's history, in seq order.
pub struct MessageConnection {
    pub(crate) messages: Vec<Message>,
    pub(crate) page_info: PageInfo,
}

/// A page of a conversation's history, in seq order.
#[Object]
impl MessageConnection {
    /// Where this page sits: cursors are seqs.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// The messages on this page, oldest first.
    async fn edges(&self) -> Vec<MessageEdge<'_>> {
        self.messages
            .iter()
            .map(|node| MessageEdge { node })
            .collect()
    }
}

/// A message and its cursor.
pub struct MessageEdge<'a> {
    node: &'a Message,
}

/// A message and its cursor.
#[Object]
impl MessageEdge<'_> {
    /// Pass as `after` (or `before`) to page on from this message.
    async fn cursor(&self) -> String {
        self.node.message.seq.to_string()
    }

    /// The message.
    async fn node(&self) -> &Message {
        self.node
    }
}

/// A message to send.
#[derive(InputObject)]
pub struct SendMessageInput {
    /// The conversation.
    pub conversation_id: ID,
    /// The text: 1..4000 characters once trimmed; no control characters but newlines and tabs.
    pub body: String,
    /// Chosen by the client, unique per message (a UUID); retrying with it returns the same message.
    pub client_message_id: String,
}

/// A member's watermarks after `markDelivered` or `markRead`.
#[derive(SimpleObject)]
pub struct Watermarks {
    /// Every message up to this seq has reached the member.
    pub last_delivered_seq: i64,
    /// Every message up to this seq has been read by the member.
    pub last_read_seq: i64,
}

/// A member's watermarks moved.
pub struct ReadReceipt(pub crate::services::receipt::Receipt);

/// A member's watermarks moved.
#[Object]
impl ReadReceipt {
    /// The conversation.
    async fn conversation_id(&self) -> ID {
        ID(self.0.conversation_id.to_string())
    }

    /// The member whose watermarks moved.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// Every message up to this seq has reached the member.
    async fn last_delivered_seq(&self) -> i64 {
        self.0.last_delivered_seq
    }

    /// Every message up to this seq has been read by the member.
    async fn last_read_seq(&self) -> i64 {
        self.0.last_read_seq
    }
}

/// Someone started or stopped typing.
pub struct TypingEvent {
    pub(crate) conversation_id: i64,
    pub(crate) user_id: i64,
    pub(crate) is_typing: bool,
}

/// Someone started or stopped typing.
#[Object]
impl TypingEvent {
    /// The conversation.
    async fn conversation_id(&self) -> ID {
        ID(self.conversation_id.to_string())
    }

    /// Who.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.user_id).await
    }

    /// True while they type; false when they stop, or 5 s after their last `true`.
    async fn is_typing(&self) -> bool {
        self.is_typing
    }
}

/// A user by id through the request's loader.
pub(crate) async fn load_user(ctx: &Context<'_>, user_id: i64) -> Result<User> {
    ctx.data_unchecked::<Loaders>()
        .user_by_id
        .load_one(user_id)
        .await
        .map_err(gql_error)?
        .map(User::from)
        .ok_or(Error::NotFound("user"))
        .extend()
}
